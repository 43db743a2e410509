#!/usr/bin/env bash
# The device check, for a machine with a real GPU (the `device` tool's NVIDIA machine):
# builds wlgp, runs the GPU tests against the CPU reference, then every GPU row of
# `wlgp bench` (WL features, kernel matrices, graph kernels hashed, counted and multiplied
# on the device, end-to-end scoring of NB201 and DARTS at n = 100, 1,000 and 4,000, the
# kNN graph), and prints one table headed by the machine
# and the adapter's name. About 5 minutes on 16 cores. The table, the JSON and the test
# log also go to $OUT (or target/device_bench).
#
#   bash scripts/device_bench.sh            # WLGP_BENCH_QUICK=1: small sizes, for lavapipe
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-target/device_bench}
mkdir -p "$out"
export WLGP_REQUIRE_GPU=1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
export CARGO_TERM_COLOR=never
if ! command -v cargo >/dev/null 2>&1; then
  echo "device_bench: cargo is not installed on this machine (https://rustup.rs)" >&2
  exit 2
fi

start=$(date +%s)
cargo build --release --bin wlgp 2>&1 | tail -n 2
bin=target/release/wlgp
"$bin" device | tee "$out/device.txt"

# The shaders against the CPU reference on this adapter (exact for integers, stated
# tolerances for floats).
if cargo test --release --test gpu > "$out/gpu_tests.txt" 2>&1; then
  grep -E "^test result" "$out/gpu_tests.txt" | tail -n 1
else
  tail -n 40 "$out/gpu_tests.txt"
  echo "device_bench: GPU tests FAILED (log: $out/gpu_tests.txt)" >&2
  exit 1
fi

if [ "${WLGP_BENCH_QUICK:-0}" = 1 ]; then
  sizes=(--graphs 2000 --candidates 500 --kernel-graphs 500 --score-sizes 100 --end-to-end-sizes 100
         --score-candidates 100000 --repeats 1 --no-assessor)
else
  sizes=(--graphs 200000 --candidates 4000 --kernel-graphs 10000 --score-sizes 100,1000,4000
         --end-to-end-sizes 100,1000,4000 --score-candidates 20000000 --repeats 2)
fi
"$bin" --device gpu bench --no-single-thread "${sizes[@]}" \
  --json-out "$out/bench.json" | tee "$out/bench.md"
echo "device_bench: done in $(( $(date +%s) - start )) s; results in $out"
