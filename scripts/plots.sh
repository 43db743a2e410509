#!/usr/bin/env bash
# Redraws every plot in docs/ by the command that made it, then checks them all
# (`wlgp plot --check`: every bar labelled, counts ticked at integers, two labels per
# axis). Cheap plots are remade outright (explain), a study's plots are redrawn from the
# CSVs it wrote (`wlgp study --replot`) or from its journals (the NAGO study). Studies
# whose per-run CSVs are not kept in the repo (docs/study, docs/nasbowl, docs/multi/*)
# are redrawn by rerunning them: the commands are in docs/results.md and docs/multi.md.
# Usage: bash scripts/plots.sh [path/to/wlgp]
set -euo pipefail
cd "$(dirname "$0")/.."
wlgp=${1:-target/release/wlgp}
"$wlgp" explain --train-from-data nb201:baseline_accuracy:100 \
  --plot docs/explain/nb201_effects.svg > docs/explain/nb201.md
"$wlgp" explain --train-from-data cora:valid_perf:100 \
  --plot docs/explain/cora_effects.svg > docs/explain/cora.md
for d in docs/study docs/nasbowl docs/semi/search docs/semi/predictor; do
  if ls "$d"/*.csv > /dev/null 2>&1; then "$wlgp" study --replot --out "$d"; fi
done
python3 scripts/nago_study.py docs/nago/study "$wlgp" > /dev/null
find docs -name '*.svg' -print0 | xargs -0 "$wlgp" plot --check
echo "every plot in docs/ checked"
