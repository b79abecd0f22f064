#!/usr/bin/env bash
# One device call for the model side (GPU machine, repository root, .deps and
# .cache/test-assets carried): builds wq and the model tests against PyTorch's CUDA LibTorch
# with our CUDA kernels (packed mode needs them), runs the golden model tests in bf16 on the
# GPU (WQ_GOLDEN_DEVICE / WQ_GOLDEN_DTYPE; bound in tests/models/golden_mode.h) and the GPU
# packed-cache test (tests/eval/test_packed_gpu.cpp), then the 7B-shaped random-weights
# protocol run at 64 frames, every method in packed and in simulate mode.
# Results under $OUT (default ./gpu_out): test logs, efficiency_random_7b.h5 and its table.
#   scripts/gpu_models.sh [--skip-7b]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
scripts/device_build.sh wq test_models test_eval
source scripts/device_env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
golden=0
WQ_GOLDEN_DEVICE=cuda WQ_GOLDEN_DTYPE=bfloat16 build-gpu/tests/test_models --gtest_filter="*Golden*" \
  >"$OUT/golden_bf16.log" 2>&1 || golden=$?
tail -5 "$OUT/golden_bf16.log"
build-gpu/tests/test_eval --gtest_filter="PackedGpu*" >"$OUT/packed_gpu.log" 2>&1 || golden=$?
tail -5 "$OUT/packed_gpu.log"
[[ "${1:-}" == "--skip-7b" ]] && exit "$golden"
build-gpu/wq run configs/gpu/efficiency_random_7b.yaml --out "$OUT/efficiency_random_7b.h5" 2>&1 | tail -5
build-gpu/wq show "$OUT/efficiency_random_7b.h5" | tee "$OUT/efficiency_random_7b.txt"
exit "$golden"
