#!/usr/bin/env bash
# Every test, Rust and Python: the engine and CLI (cargo test), then the Python package
# built from this checkout into a virtualenv (.venv) with Ray, and its pytest suite, which
# compares the package with the CLI built here.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release

venv=${WLGP_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# One pip install builds the extension (maturin) and installs it with its extras.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "./python[ray,test]"
WLGP_BIN="$PWD/target/release/wlgp" "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider
