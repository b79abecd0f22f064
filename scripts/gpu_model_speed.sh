#!/usr/bin/env bash
# One device call (GPU machine, repository root, .deps carried): our LLaVA-OneVision beside
# transformers 5.17 (SDPA, bf16) at the 7B shape on one GPU, over the same random weights.
# bench_model_speed writes them (/tmp, ~16 GB: not under $OUT), times our phases from them,
# scripts/model_speed_hf.py times transformers' from them, then prints the table for
# docs/models.md. Our CUDA kernels are not needed (the dense path), so a fresh build skips them
# unless WQ_CUDA=ON is set; an existing build-gpu/ keeps its setting. Each stage has its own
# deadline so that a stuck one still leaves the others' results; the whole stays under
# WQ_DEVICE_SECONDS (default 570 s).
# Results under $OUT (default ./gpu_out): gpu.txt, *.log, ours.json, transformers.json, table.md.
#   scripts/gpu_model_speed.sh [context_tokens=12608]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT"
context="${1:-12608}"
weights=/tmp/wq_model_speed_7b
stage() { echo "[gpu_model_speed] $1 at ${SECONDS} s"; }
left() { echo $(( ${WQ_DEVICE_SECONDS:-570} - SECONDS - 10 )); }
stage build
# A build-gpu/ already configured (gpu_models.sh on a warm machine) keeps its WQ_CUDA setting:
# switching it would reconfigure and rebuild everything.
configured=$(sed -n 's/^WQ_CUDA:STRING=//p' build-gpu/CMakeCache.txt 2>/dev/null || true)
WQ_CUDA="${WQ_CUDA:-${configured:-OFF}}" scripts/device_build.sh bench_model_speed >"$OUT/build.log" 2>&1 ||
  { tail -30 "$OUT/build.log"; exit 1; }
source scripts/device_env.sh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
bench=build-gpu/benchmarks/bench_model_speed
if [ ! -f "$weights/model.safetensors" ]; then
  stage "write random weights"
  timeout 120 "$bench" write configs/models/llava-onevision-qwen2-7b-ov "$weights" >"$OUT/write.log" 2>&1 ||
    { tail -5 "$OUT/write.log"; exit 1; }
fi
status=0
# The two sides share the GPU one after the other, each in its own process.
stage "ours (at most $(( $(left) / 2 )) s)"
timeout $(( $(left) / 2 )) "$bench" time "$weights" "$OUT/ours.json" "$context" 2>&1 | tee "$OUT/ours.log" ||
  status=1
stage "transformers (at most $(left) s)"
timeout "$(left)" python3 scripts/model_speed_hf.py time "$weights" "$OUT/transformers.json" --context "$context" \
  2>&1 | tee "$OUT/transformers.log" || status=1
stage table
if [ -f "$OUT/ours.json" ] && [ -f "$OUT/transformers.json" ]; then
  python3 scripts/model_speed_hf.py table "$OUT/ours.json" "$OUT/transformers.json" --gpu "$(head -1 "$OUT/gpu.txt")" |
    tee "$OUT/table.md"
else
  echo "[gpu_model_speed] a side left no JSON: see ours.log / transformers.log" >&2
  status=1
fi
stage done
exit "$status"
