#!/usr/bin/env bash
# Prepares the device check for a machine that cannot build wlgp: the `device` tool's
# NVIDIA machine has CUDA and Python but no Rust toolchain, no network, and maybe no
# Vulkan loader. Run here (x86-64, with cargo and apt): it builds the `wlgp` binary and
# the GPU test binary in release, strips and compresses them into .device/ (ignored by
# git; about 16 MB, within what the tool carries beside the 23 MB tree), and downloads
# the Vulkan and GL-dispatch loader packages the NVIDIA driver's ICD loads through. Then
# one device call runs everything:
#
#   bash scripts/device_prepare.sh
#   device run: command "bash scripts/device_bench.sh", carry [".device"], timeout_s 480
#
# scripts/device_bench.sh uses .device/ when the machine has no cargo (or when
# WLGP_DEVICE_PREBUILT=1), unpacks the loaders only where `ldconfig` finds no
# libvulkan.so.1, and points the loader at the NVIDIA ICD when the driver ships one.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -m)" != x86_64 ]; then
  echo "device_prepare: the device machine is x86-64 and this one is $(uname -m): build there instead" >&2
  exit 2
fi
dir=.device
rm -rf "$dir"
mkdir -p "$dir/deb"
export CARGO_TERM_COLOR=never

cargo build --release --bin wlgp 2>&1 | tail -n 1
tests=$(cargo test --release --test gpu --no-run 2>&1 | sed -n 's/.*Executable tests\/gpu.rs (\(.*\))$/\1/p')
if [ ! -x "$tests" ]; then
  echo "device_prepare: could not find the GPU test binary" >&2
  exit 1
fi
# Debug information is most of each binary's size; the device check needs none.
strip -o "$dir/wlgp" target/release/wlgp
strip -o "$dir/gpu-tests" "$tests"
gzip -9 "$dir/wlgp" "$dir/gpu-tests"

# The loaders, as Debian amd64 packages (unpacked with dpkg -x there, never installed).
lists=$(mktemp -d)
apt_amd64=(-oAPT::Sandbox::User=root -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$lists")
mkdir -p "$lists/partial"
apt-get "${apt_amd64[@]}" -qq update
(cd "$dir/deb" && apt-get "${apt_amd64[@]}" -qq download \
  libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$lists"

{
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (with uncommitted changes)')"
  echo "built $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m), $(ldd --version | head -n 1)"
} > "$dir/BUILT"
cat "$dir/BUILT"
du -sh "$dir"
