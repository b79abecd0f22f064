#!/usr/bin/env bash
# One device call for the model side (GPU machine, repository root, .deps and
# .cache/test-assets carried): builds wq and the model tests against PyTorch's CUDA LibTorch
# with our CUDA kernels (packed mode needs them), runs the golden model tests in bf16 on the
# GPU (WQ_GOLDEN_DEVICE / WQ_GOLDEN_DTYPE; bound in tests/models/golden_mode.h), the GPU
# packed-cache test (tests/eval/test_packed_gpu.cpp), the 7B-shaped random-weights protocol
# run at 64 frames with every method in packed mode (--with-simulate: in simulate mode too,
# which quantizes on the CPU and takes minutes per method), then the bf16 quickstart in packed
# and simulate mode with its answer agreement (scripts/gpu_quickstart.sh; --skip-quickstart).
# Results under $OUT (default ./gpu_out): test logs, efficiency_random_7b.h5 and its table.
#   scripts/gpu_models.sh [--skip-7b] [--with-simulate] [--skip-quickstart]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
skip_7b=0 modes="[packed]" skip_quickstart=0
for arg in "$@"; do
  case "$arg" in
    --skip-7b) skip_7b=1 ;;
    --with-simulate) modes="[packed, simulate]" ;;
    --skip-quickstart) skip_quickstart=1 ;;
    *) echo "gpu_models.sh: unknown flag $arg (expected --skip-7b, --with-simulate, --skip-quickstart)" >&2; exit 2 ;;
  esac
done
stage() { echo "[gpu_models] $1 at ${SECONDS} s"; }
scripts/device_build.sh wq test_models test_eval
source scripts/device_env.sh
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
status=0
stage "golden bf16"
WQ_GOLDEN_DEVICE=cuda WQ_GOLDEN_DTYPE=bfloat16 build-gpu/tests/test_models --gtest_filter="*Golden*" \
  >"$OUT/golden_bf16.log" 2>&1 || status=$?
tail -3 "$OUT/golden_bf16.log"
stage "packed GPU test"
build-gpu/tests/test_eval --gtest_filter="PackedGpu*" >"$OUT/packed_gpu.log" 2>&1 || status=$?
tail -3 "$OUT/packed_gpu.log"
if [[ $skip_7b == 0 ]]; then
  stage "7B-shaped run, cache.mode $modes"
  build-gpu/wq run configs/gpu/efficiency_random_7b.yaml "sweep.grid.cache.mode=$modes" \
    --out "$OUT/efficiency_random_7b.h5" >"$OUT/efficiency_random_7b.log" 2>&1 || status=$?
  tail -3 "$OUT/efficiency_random_7b.log"
  build-gpu/wq show "$OUT/efficiency_random_7b.h5" | tee "$OUT/efficiency_random_7b.txt"
fi
if [[ $skip_quickstart == 0 ]]; then
  stage "bf16 quickstart, packed vs simulate"
  scripts/gpu_quickstart.sh || status=$?
fi
stage done
exit "$status"
