#!/usr/bin/env bash
# Trains the proxy VLM on the GPU machine (repository root, .deps carried): builds wq against
# PyTorch's CUDA LibTorch and runs `wq train-proxy configs/proxy/train.yaml --device cuda`.
# The checkpoint lands in $OUT/proxy (default ./gpu_out/proxy); copy it to models/proxy.
#   scripts/train_proxy_gpu.sh [extra wq train-proxy flags]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
scripts/device_build.sh wq
source scripts/device_env.sh
build-gpu/wq train-proxy configs/proxy/train.yaml --device cuda --out "$OUT/proxy" "$@"
