#!/bin/sh
# An objective command for examples/spaces/nb201.toml: the declared architecture (six
# operations, on edges 0->1 0->2 1->2 0->3 1->3 2->3) written as NAS-Bench-201's own
# string and looked up in the embedded table. WLGP names the wlgp binary (default: wlgp).
set -eu
set -- $WLGP_ARCH
WLGP_ARCH="|$1~0|+|$2~0|$3~1|+|$4~0|$5~1|$6~2|" exec "${WLGP:-wlgp}" lookup --dataset nb201
