#!/usr/bin/env bash
# Rebuilds data/ from the published wheels and checks it is byte-identical to the
# committed tables (and reruns the AnalogNAS-Bench key-layout check on the way).
# Needs pip and access to PyPI; used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download --quiet --no-deps nas-bench-graph==1.4.0 analog-nasbench==0.1.3 -d "$tmp/wheels"; then
  echo "could not download the source wheels (no access to PyPI?)" >&2
  exit 3
fi
python3 scripts/convert_benchmarks.py --wheels "$tmp/wheels" --out "$tmp/data" > "$tmp/log"
head -n 1 "$tmp/log"
for f in data/*.tab data/sources.json; do
  cmp "$f" "$tmp/data/$(basename "$f")"
done
echo "data/ is reproduced byte for byte from the published packages"
