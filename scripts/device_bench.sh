#!/usr/bin/env bash
# The device check, for a machine with a real GPU (the `device` tool's NVIDIA machine):
# runs the GPU tests against the CPU reference, then every GPU row of `wlgp bench` (WL
# features, kernel matrices, graph kernels hashed, counted and multiplied on the device,
# end-to-end scoring of NB201 and DARTS at n = 100, 1,000 and 4,000, the kNN graph), and
# prints one table headed by the machine and the adapter's name. The table, the JSON and
# the test log also go to $OUT (or target/device_bench).
#
# With cargo it builds wlgp first. Without (the NVIDIA machine has no Rust and no
# network) it runs the binaries scripts/device_prepare.sh left in .device/, which the
# `device` tool carries: `carry [".device"]`. A failed GPU test does not stop the bench
# (one device call should bring back everything it can); the exit status says so.
#
#   bash scripts/device_bench.sh                      # the full sizes, a few minutes
#   WLGP_BENCH_QUICK=1 bash scripts/device_bench.sh   # small sizes, for lavapipe
#   WLGP_BENCH_TIMEOUT=300 ...                        # cap the bench (default 420 s);
#                                                     # each row is logged as measured
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-target/device_bench}
mkdir -p "$out"
export WLGP_REQUIRE_GPU=1
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
export CARGO_TERM_COLOR=never
start=$(date +%s)
prebuilt=.device

if [ -f "$prebuilt/wlgp.gz" ] && { [ "${WLGP_DEVICE_PREBUILT:-0}" = 1 ] || ! command -v cargo >/dev/null 2>&1; }; then
  run=$(mktemp -d)
  gunzip -c "$prebuilt/wlgp.gz" > "$run/wlgp"
  gunzip -c "$prebuilt/gpu-tests.gz" > "$run/gpu-tests"
  chmod +x "$run/wlgp" "$run/gpu-tests"
  bin=$run/wlgp
  gpu_tests=("$run/gpu-tests")
  echo "device_bench: prebuilt binaries, $(head -n 1 "$prebuilt/BUILT" 2>/dev/null || echo 'no BUILT stamp')"
elif command -v cargo >/dev/null 2>&1; then
  cargo build --release --bin wlgp 2>&1 | tail -n 2
  bin=target/release/wlgp
  gpu_tests=(cargo test --release --test gpu)
else
  echo "device_bench: no cargo here and no prebuilt binaries in $prebuilt/: run scripts/device_prepare.sh where cargo is, then carry $prebuilt" >&2
  exit 2
fi

# The Vulkan loader, where the machine has none (dpkg -x: unpacked, not installed).
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if compgen -G "$prebuilt/deb/*.deb" >/dev/null; then
    for f in "$prebuilt"/deb/*.deb; do dpkg -x "$f" /; done
    ldconfig
    echo "device_bench: unpacked the Vulkan loader from $prebuilt/deb"
  else
    echo "device_bench: no libvulkan.so.1 on this machine and none in $prebuilt/deb" >&2
  fi
fi
# The NVIDIA driver's own ICD, where it ships one outside the loader's search path.
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then
  export VK_DRIVER_FILES=$nvidia_icd
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/nvidia-smi.txt"

"$bin" device | tee "$out/device.txt"
if grep -q "type Cpu" "$out/device.txt" && command -v nvidia-smi >/dev/null 2>&1; then
  echo "device_bench: WARNING: wgpu sees a software adapter on a machine with an NVIDIA GPU" >&2
fi

# The shaders against the CPU reference on this adapter (exact for integers, stated
# tolerances for floats).
tests_ok=1
if "${gpu_tests[@]}" > "$out/gpu_tests.txt" 2>&1; then
  grep -E "^test result" "$out/gpu_tests.txt" | tail -n 1
else
  tests_ok=0
  grep -E "^test .* FAILED|^test result|panicked" "$out/gpu_tests.txt" | head -n 40
  echo "device_bench: GPU tests FAILED (log: $out/gpu_tests.txt); benching anyway" >&2
fi

if [ "${WLGP_BENCH_QUICK:-0}" = 1 ]; then
  sizes=(--graphs 2000 --candidates 500 --kernel-graphs 500 --score-sizes 100 --end-to-end-sizes 100
         --score-candidates 100000 --repeats 1 --no-assessor)
else
  sizes=(--graphs 200000 --candidates 4000 --kernel-graphs 10000 --score-sizes 100,1000,4000
         --end-to-end-sizes 100,1000,4000 --score-candidates 20000000 --repeats 2)
fi
bench_ok=1
timeout "${WLGP_BENCH_TIMEOUT:-420}" "$bin" --device gpu bench --no-single-thread "${sizes[@]}" \
  --json-out "$out/bench.json" 2> "$out/bench_rows.txt" | tee "$out/bench.md" || bench_ok=0
echo "device_bench: done in $(( $(date +%s) - start )) s; results in $out"
if [ "$bench_ok" = 0 ]; then
  tail -n 30 "$out/bench_rows.txt"
  echo "device_bench: the bench did not finish; the rows it measured are above and in $out/bench_rows.txt" >&2
fi
[ "$tests_ok" = 1 ] && [ "$bench_ok" = 1 ]
