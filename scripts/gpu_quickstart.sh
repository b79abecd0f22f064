#!/usr/bin/env bash
# The quickstart on the GPU in bf16 (configs/gpu/quickstart_bf16.yaml), once in cache.mode
# simulate and once in packed, and the share of identical generated answers run by run
# (scripts/compare_answers.py; fails below 99 %). Expects build-gpu/wq (scripts/device_build.sh);
# scripts/gpu_models.sh calls it. Results under $OUT (default ./gpu_out).
#   scripts/gpu_quickstart.sh [wq run overrides...]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
source scripts/device_env.sh
for mode in simulate packed; do
  start=$SECONDS
  build-gpu/wq run configs/gpu/quickstart_bf16.yaml "cache.mode=$mode" "$@" --out "$OUT/quickstart_bf16_$mode.h5" \
    >"$OUT/quickstart_bf16_$mode.log" 2>&1 || { tail -5 "$OUT/quickstart_bf16_$mode.log"; exit 1; }
  echo "[gpu_quickstart] $mode: $((SECONDS - start)) s"
done
python3 scripts/compare_answers.py "$OUT/quickstart_bf16_simulate.h5" "$OUT/quickstart_bf16_packed.h5" |
  tee "$OUT/quickstart_bf16_agreement.txt"
