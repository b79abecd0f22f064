#!/usr/bin/env bash
# Trains the proxy VLM on the GPU machine (repository root, .deps carried): builds wq against
# PyTorch's CUDA LibTorch and runs `wq train-proxy configs/proxy/train.yaml --device cuda`.
# The checkpoint lands in $OUT/proxy (default ./gpu_out/proxy); copy it to models/proxy.
#   scripts/train_proxy_gpu.sh [extra wq train-proxy flags]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
WQ_CUDA=OFF scripts/device_build.sh wq
source scripts/device_env.sh
# One device command may run 600 s: training gets what the build left (minus saving).
budget=$(( ${WQ_DEVICE_SECONDS:-570} - SECONDS ))
echo "[train_proxy_gpu] build took ${SECONDS} s; training for at most ${budget} s"
build-gpu/wq train-proxy configs/proxy/train.yaml --device cuda --out "$OUT/proxy" --time-limit-s "$budget" "$@"
