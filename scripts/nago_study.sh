#!/usr/bin/env bash
# The NAGO study of docs/nago.md: random search over generators against BO with the
# Matérn, WL mean-embedding and mixed kernels, and EHVI for accuracy against parameters
# (mixed kernel), each for SEEDS seeds × BUDGET evaluations
# of the built-in digits trainer, JOBS (2) searches at a time. Every search is journaled in
# docs/nago/study/, so an interrupted study resumes where it stopped; then
# scripts/nago_study.py writes docs/nago/study/summary.md and best.svg.
# Usage: bash scripts/nago_study.sh [path/to/wlgp] [SEEDS] [BUDGET] [JOBS]
set -euo pipefail
wlgp=${1:-target/release/wlgp}
seeds=${2:-10}
budget=${3:-50}
jobs_at_once=${4:-2}
out=docs/nago/study
mkdir -p "$out"
jobs=()
for s in $(seq 0 $((seeds - 1))); do
  jobs+=("random sum $s" "bo-matern matern $s" "bo-wl wl $s" "bo-sum sum $s" "ehvi sum $s")
done
run() {
  local name=$1 kernel=$2 seed=$3 j="$out/$1-$3.jsonl"
  local method=(--method bo)
  [ "$name" = random ] && method=(--method random)
  [ "$name" = ehvi ] && method=(--objectives accuracy:max,params:min)
  local record=(--journal "$j")
  [ -s "$j" ] && record=(--resume "$j")
  "$wlgp" search --space nago "${method[@]}" --generator-kernel "$kernel" \
    --seed "$seed" --budget "$budget" "${record[@]}" --json > "$out/$name-$seed.json"
}
export -f run
export wlgp out budget
printf '%s\n' "${jobs[@]}" | xargs -P "$jobs_at_once" -L 1 bash -c 'run $0 $1 $2'
python3 scripts/nago_study.py "$out"
