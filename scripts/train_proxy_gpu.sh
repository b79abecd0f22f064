#!/usr/bin/env bash
# Trains the proxy VLM in one GPU-machine call (repository root, .deps carried): builds wq
# against PyTorch's CUDA LibTorch, resumes when the config's `out` folder holds a trainer
# state (copied back from the last call), trains for what the 600 s call leaves, and puts the
# checkpoint in $OUT as at most 8 files of <= 16 MiB: model.safetensors, the trainer-state
# shards and checkpoint_text.tar (the JSON files and this call's log). Back here:
#   rm -f OUT_DIR/trainer_state-*.safetensors; mkdir -p OUT_DIR
#   cp FILES_AT/*.safetensors OUT_DIR/ && tar -xf FILES_AT/checkpoint_text.tar -C OUT_DIR
# Usage: scripts/train_proxy_gpu.sh [CONFIG] [extra wq train-proxy flags]
#   CONFIG defaults to configs/proxy/train.yaml (v1); configs/proxy/train_v2.yaml is v2.
set -euo pipefail
cd "$(dirname "$0")/.."
config=configs/proxy/train.yaml
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then config=$1; shift; fi
out_dir=$(sed -n 's/^out: *\([^ #]*\).*/\1/p' "$config")
[ -n "$out_dir" ] || { echo "train_proxy_gpu.sh: $config has no top-level out:" >&2; exit 1; }
export OUT="${OUT:-$PWD/gpu_out}"
mkdir -p "$OUT" "$out_dir"
WQ_CUDA=OFF scripts/device_build.sh wq
source scripts/device_env.sh
resume=()
[ -f "$out_dir/trainer_state.json" ] && resume=(--resume)
# One device command may run 600 s: training gets what the build left, minus start-up
# (tokenizer, model), the last evaluation and the copies below.
budget=$(( ${WQ_DEVICE_SECONDS:-570} - SECONDS ))
echo "[train_proxy_gpu] build took ${SECONDS} s; ${resume[*]:-fresh start}; training for at most ${budget} s"
status=0
build-gpu/wq train-proxy "$config" --device cuda "${resume[@]}" --time-limit-s "$budget" "$@" 2>&1 |
  tee /tmp/train_proxy.log || status=$?

# Whatever was saved goes back, also when the call failed part-way.
[ -f "$out_dir/trainer_state.json" ] || { echo "[train_proxy_gpu] no checkpoint saved" >&2; exit 1; }
shards=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["shards"]))' "$out_dir/trainer_state.json")
for f in model.safetensors $shards; do cp "$out_dir/$f" "$OUT/"; done
cp /tmp/train_proxy.log "$out_dir/train_proxy_call.log"
tar -cf "$OUT/checkpoint_text.tar" -C "$out_dir" config.json video_preprocessor_config.json tokenizer.json \
  train_log.json trainer_state.json train_proxy_call.log
ls -l "$OUT"
files=$(find "$OUT" -type f | wc -l)
too_big=$(find "$OUT" -type f -size +16M | wc -l)
[ "$files" -le 8 ] && [ "$too_big" -eq 0 ] ||
  { echo "[train_proxy_gpu] $files files, $too_big over 16 MiB: more than a call brings back" >&2; exit 1; }
exit "$status"
