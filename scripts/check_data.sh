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
# The AnalogNAS-Bench table is a pickle of numpy arrays: numpy in a private virtualenv
# when the system Python has none.
py=python3
if ! python3 -c 'import numpy' 2>/dev/null; then
  if ! { python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install --quiet numpy; }; then
    echo "could not install numpy (no access to PyPI?)" >&2
    exit 3
  fi
  py="$tmp/venv/bin/python"
fi
"$py" scripts/convert_benchmarks.py --wheels "$tmp/wheels" --out "$tmp/data" > "$tmp/log"
head -n 1 "$tmp/log"
for f in data/*.tab data/sources.json; do
  cmp "$f" "$tmp/data/$(basename "$f")"
done
python3 scripts/convert_digits.py --out "$tmp/digits.u8" > "$tmp/digits.log" || exit $?
cmp data/digits.u8 "$tmp/digits.u8"
echo "data/ is reproduced byte for byte from the published packages"
