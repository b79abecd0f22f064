#!/usr/bin/env python3
"""LLaVA-OneVision logits from raw frames: the tiny checkpoint of tests/data/models/llava_onevision
(weights unchanged) fed its own video processor's output for golden.safetensors' raw_frames and
input_ids, so the C++ chain raw uint8 -> preprocessing -> vision -> decoder is checked end to end
(golden.safetensors' logits come from random pixels, which test the model apart).

Writes <out> with logits F32 [1, T, vocab] (CPU fp32, eager attention) and greedy I64 [6].

Usage (GPU machine: torch 2.11, transformers 5.17, torchvision):
    python3 scripts/golden/make_llava_raw_frames.py \
        --out tests/data/models/llava_onevision/raw_frames_golden.safetensors
"""
import argparse
import json
import os
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import greedy, set_eager  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", default="tests/data/models/llava_onevision")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = transformers.LlavaOnevisionForConditionalGeneration.from_pretrained(args.folder).float().eval()
    set_eager(model)
    vp = transformers.AutoVideoProcessor.from_pretrained(args.folder)
    golden = load_file(os.path.join(args.folder, "golden.safetensors"))
    pixels = vp(videos=[golden["raw_frames"].numpy()], return_tensors="pt")["pixel_values_videos"].float()
    ids = golden["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=ids, pixel_values_videos=pixels).logits.float().contiguous()
        ids_out = greedy(model, 6, input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values_videos=pixels)
    save_file({"logits": logits, "greedy": ids_out}, args.out,
              metadata={"versions": json.dumps({"torch": torch.__version__, "transformers": transformers.__version__})})
    print("greedy", ids_out.tolist(), "->", args.out)


if __name__ == "__main__":
    main()
