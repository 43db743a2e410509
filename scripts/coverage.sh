#!/usr/bin/env bash
# Is the surrogate's uncertainty honest? The share of held-out values inside the GP's 95%
# predictive interval (wlgp evaluate's coverage_95) on every embedded table, 10 seeds, at
# 50, 100 and 400 training architectures: a markdown table for docs/defaults.md.
#
#   bash scripts/coverage.sh [target/release/wlgp]
set -euo pipefail
bin=${1:-target/release/wlgp}
tables=()
for m in baseline_accuracy ptq_accuracy qat_accuracy noisy_accuracy analog_accuracy; do
  tables+=("nb201:$m")
done
for d in arxiv citeseer computers cora cs photo physics proteins pubmed; do
  tables+=("$d:valid_perf")
done
echo "| table | metric | n = 50 | n = 100 | n = 400 |"
echo "|---|---|---|---|---|"
for t in "${tables[@]}"; do
  d=${t%%:*} m=${t#*:}
  "$bin" evaluate --dataset "$d" --metric "$m" --seeds 10 --train-sizes 50,100,400 --json |
    python3 -c "
import json, sys
rows = json.load(sys.stdin)['rows']
print('| $d | $m | ' + ' | '.join(f\"{r['coverage_95']:.3f} ± {r['coverage_95_se']:.3f}\" for r in rows) + ' |')"
done
