#!/usr/bin/env bash
# One device call for the model side (GPU machine, repository root, .deps and
# .cache/test-assets carried): builds wq and the model tests against PyTorch's CUDA LibTorch
# with our CUDA kernels (packed mode needs them), runs the golden model tests in bf16 on the
# GPU (WQ_GOLDEN_DEVICE / WQ_GOLDEN_DTYPE; bound in tests/models/golden_mode.h) with the fused
# attention against its math reference (test_attention.cpp), the GPU
# packed-cache test (tests/eval/test_packed_gpu.cpp) and the 7B-shaped random-weights protocol
# run at 64 frames with every method in packed mode. --with-simulate then runs the same
# sweep in simulate mode (the CPU quantizer: minutes per method; stopped at the device
# call's deadline, WQ_DEVICE_SECONDS, default 570 s, keeping the runs that finished) and
# compares the generated text run by run (scripts/compare_answers.py).
# Results under $OUT (default ./gpu_out): logs, efficiency_random_7b{,_simulate}.h5, tables.
#   scripts/gpu_models.sh [--skip-7b] [--with-simulate]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
skip_7b=0 simulate=0
for arg in "$@"; do
  case "$arg" in
    --skip-7b) skip_7b=1 ;;
    --with-simulate) simulate=1 ;;
    *) echo "gpu_models.sh: unknown flag $arg (expected --skip-7b or --with-simulate)" >&2; exit 2 ;;
  esac
done
stage() { echo "[gpu_models] $1 at ${SECONDS} s"; }
scripts/device_build.sh wq test_models test_eval
source scripts/device_env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
status=0
stage "golden bf16"
WQ_GOLDEN_DEVICE=cuda WQ_GOLDEN_DTYPE=bfloat16 build-gpu/tests/test_models --gtest_filter="*Golden*:*LongVideo*:Attention*:Qwen2Cache*" \
  >"$OUT/golden_bf16.log" 2>&1 || status=$?
tail -3 "$OUT/golden_bf16.log"
stage "packed GPU test"
build-gpu/tests/test_eval --gtest_filter="PackedGpu*" >"$OUT/packed_gpu.log" 2>&1 || status=$?
tail -3 "$OUT/packed_gpu.log"
[[ $skip_7b == 1 ]] && { stage done; exit "$status"; }
stage "7B-shaped run, packed"
build-gpu/wq run configs/gpu/efficiency_random_7b.yaml --out "$OUT/efficiency_random_7b.h5" \
  >"$OUT/efficiency_random_7b.log" 2>&1 || status=$?
tail -2 "$OUT/efficiency_random_7b.log"
build-gpu/wq show "$OUT/efficiency_random_7b.h5" | tee "$OUT/efficiency_random_7b.txt"
if [[ $simulate == 1 ]]; then
  left=$(( ${WQ_DEVICE_SECONDS:-570} - SECONDS - 15 ))
  stage "7B-shaped run, simulate (at most ${left} s)"
  timeout "$left" build-gpu/wq run configs/gpu/efficiency_random_7b.yaml cache.mode=simulate \
    --out "$OUT/efficiency_random_7b_simulate.h5" >"$OUT/efficiency_random_7b_simulate.log" 2>&1 || true
  build-gpu/wq show "$OUT/efficiency_random_7b_simulate.h5" >"$OUT/efficiency_random_7b_simulate.txt" || true
  # Runs the deadline cut off are listed as missing; the agreement counts the finished ones.
  python3 scripts/compare_answers.py "$OUT/efficiency_random_7b_simulate.h5" "$OUT/efficiency_random_7b.h5" \
    --min-agreement 0 | tee "$OUT/efficiency_random_7b_agreement.txt" || true
fi
stage done
exit "$status"
