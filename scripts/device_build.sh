#!/usr/bin/env bash
# Builds the project on the GPU machine (CUDA on, PyTorch's LibTorch) into build-gpu/.
# Usage (inside a device run): scripts/device_build.sh [ninja targets...]
# WQ_CUDA=OFF skips our CUDA kernels (faster; LibTorch still runs models on the GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/device_env.sh
[ -d "$WQ_DEPS_ROOT" ] || { echo "device_build.sh: .deps/ missing: run scripts/device_deps.sh here and carry .deps" >&2; exit 1; }
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DWQ_CUDA="${WQ_CUDA:-ON}" \
  -DCMAKE_CUDA_ARCHITECTURES=90a -DHDF5_ROOT="$HDF5_ROOT" >build-gpu.configure.log 2>&1 ||
  { cat build-gpu.configure.log; exit 1; }
ninja -C build-gpu -j"$(nproc)" "$@"
