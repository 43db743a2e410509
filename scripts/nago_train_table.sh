#!/usr/bin/env bash
# Regenerates the trainer table of docs/nago.md: `wlgp nago train` on the smallest
# generator and on generators drawn from seeds 0..5, default settings, one at a time.
# Usage: bash scripts/nago_train_table.sh [path/to/wlgp]   (about 2.5 minutes on 2 cores)
set -euo pipefail
wlgp=${1:-target/release/wlgp}
smallest='{"G1_nodes": 3, "G1_K": 2, "G1_P": 0.5, "G2_nodes": 3, "G2_P": 0.5, "G3_nodes": 3, "G3_K": 2, "G3_P": 0.5}'
{
  "$wlgp" nago train --theta "$smallest" --seed 0 --json
  for s in 0 1 2 3 4 5; do "$wlgp" nago train --seed "$s" --json; done
} | python3 -c '
import json, sys
print("| θ (G1_nodes, G2_nodes, G3_nodes) | seed | convolutions | width | params | accuracy % | last-epoch loss | seconds |")
print("|---|---|---|---|---|---|---|---|")
for line in sys.stdin:
    v = json.loads(line); t = v["theta"]
    row = (t["G1_nodes"], t["G2_nodes"], t["G3_nodes"], v["seed"], v["operations"], v["width"],
           v["params"], v["accuracy"], v["train_loss"], v["seconds"])
    print("| %d, %d, %d | %d | %d | %d | {:,} | %.1f | %.3f | %.1f |".format(row[6]) % (row[:6] + row[7:]))
'
