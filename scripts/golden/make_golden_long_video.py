#!/usr/bin/env python3
"""Long-video decode fixtures for the tiny Qwen2-VL and Qwen2.5-VL checkpoints already in
tests/data/models/<family>/tiny (weights unchanged): many frames, a Qwen2.5-VL
second_per_grid_t above 1 (so the video's temporal positions run far past its spatial ones)
and a short question after the video, the case where the decode position rules of transformers
versions differ. Recorded from transformers' own generate(): the logits of every generated step
(not only the greedy ids) and the position ids transformers fed the language model at each
forward (captured with a hook), so the C++ decode is checked position by position.

Writes tests/data/models/<family>/tiny/long_video.safetensors with raw_frames U8 [F, H, W, 3],
input_ids, video_grid_thw, second_per_grid_ts (Qwen2.5-VL), step_logits F32 [steps, vocab],
greedy I64 [steps], prefill_position_ids I64 [3, T] and step_position_ids I64 [steps - 1, 3]
(the positions of the decode forwards; rows past 3 that transformers 5 prepends for text
positions are dropped, the three rope rows kept).

Usage (GPU machine: torch 2.11, transformers 5.17, torchvision):
    python3 scripts/golden/make_golden_long_video.py --models tests/data/models [--out DIR]
"""
import argparse
import json
import os
import sys

import torch
import transformers
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import set_eager  # noqa: E402
from make_golden_qwen2_vl import VIDEO_TOKEN, VISION_END, VISION_START  # noqa: E402

STEPS = 8
# 24 frames of 70 x 130: 12 temporal patches of 2 x 5 merged tokens (120 video tokens).
FRAMES, FRAME_H, FRAME_W = 24, 70, 130
FAMILIES = {
    "qwen2_vl": dict(model="Qwen2VLForConditionalGeneration", second_per_grid_t=None, seed=9101),
    # Temporal position = patch index x int(second_per_grid_t) x tokens_per_second (3): 11 x 2 x 3
    # = 66 for the last patch, against 1 + 4 spatial rows: the question's 3 tokens follow far
    # below the video's largest position.
    "qwen2_5_vl": dict(model="Qwen2_5_VLForConditionalGeneration", second_per_grid_t=2.0, seed=9102),
}


def rope_rows(position_ids):
    """The three rope rows [3, B, L] of what the language model received (transformers 5 may
    prepend a text-position row, giving [4, B, L])."""
    p = position_ids
    if p.dim() == 3 and p.shape[0] == 4:
        p = p[1:]
    return p


def make_case(name, spec, folder, out_path):
    g = torch.Generator().manual_seed(spec["seed"])
    model = getattr(transformers, spec["model"]).from_pretrained(folder).float().eval()
    set_eager(model)
    vp = transformers.AutoVideoProcessor.from_pretrained(folder)
    raw = torch.randint(0, 256, (FRAMES, FRAME_H, FRAME_W, 3), generator=g, dtype=torch.int64).to(torch.uint8)
    proc = vp(videos=[raw.numpy()], return_tensors="pt")
    pixels, grid = proc["pixel_values_videos"].float(), proc["video_grid_thw"].to(torch.int64)
    merge = model.config.vision_config.spatial_merge_size
    n_video = int(grid.prod()) // merge ** 2
    pre = torch.randint(3, 92, (1, 4), generator=g)
    post = torch.randint(3, 92, (1, 3), generator=g)
    ids = torch.cat([pre, torch.tensor([[VISION_START]]), torch.full((1, n_video), VIDEO_TOKEN),
                     torch.tensor([[VISION_END]]), post], dim=1)
    inputs = dict(input_ids=ids, attention_mask=torch.ones_like(ids), pixel_values_videos=pixels,
                  video_grid_thw=grid, mm_token_type_ids=(ids == VIDEO_TOKEN).to(torch.int32) * 2)
    if spec["second_per_grid_t"] is not None:
        inputs["second_per_grid_ts"] = torch.tensor([spec["second_per_grid_t"]])

    seen = []

    def capture(_module, args, kwargs):
        p = kwargs.get("position_ids")
        if p is None and len(args) > 1:
            p = args[1]
        seen.append(None if p is None else rope_rows(p.detach().clone()))

    hook = model.model.language_model.register_forward_pre_hook(capture, with_kwargs=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=STEPS, min_new_tokens=STEPS, do_sample=False,
                             num_beams=1, eos_token_id=None, pad_token_id=0, output_logits=True,
                             return_dict_in_generate=True)
    hook.remove()
    if len(seen) != STEPS or any(p is None for p in seen):
        raise RuntimeError(f"{name}: expected {STEPS} forwards with position ids, saw "
                           f"{[None if p is None else tuple(p.shape) for p in seen]}")
    golden = {
        "raw_frames": raw.contiguous(),
        "input_ids": ids.to(torch.int64).contiguous(),
        "video_grid_thw": grid.contiguous(),
        "step_logits": torch.cat([l.float() for l in out.logits], dim=0).contiguous(),
        "greedy": out.sequences[0, ids.shape[1]:].to(torch.int64).contiguous(),
        "prefill_position_ids": seen[0][:, 0, :].to(torch.int64).contiguous(),
        "step_position_ids": torch.stack([p[:, 0, -1] for p in seen[1:]]).to(torch.int64).contiguous(),
    }
    if "second_per_grid_ts" in inputs:
        golden["second_per_grid_ts"] = inputs["second_per_grid_ts"].float()
    save_file(golden, out_path)
    prefill = golden["prefill_position_ids"]
    print(name, "grid", grid.tolist(), "tokens", ids.shape[1], "largest prefill position", int(prefill.max()),
          "last prompt position", prefill[:, -1].tolist(), "first decode position",
          golden["step_position_ids"][0].tolist(), "greedy", golden["greedy"].tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="tests/data/models")
    ap.add_argument("--out", default=None, help="folder for <family>_long_video.safetensors "
                    "(default: next to each checkpoint as long_video.safetensors)")
    args = ap.parse_args()
    for name, spec in FAMILIES.items():
        folder = os.path.join(args.models, name, "tiny")
        path = (os.path.join(args.out, f"{name}_long_video.safetensors") if args.out
                else os.path.join(folder, "long_video.safetensors"))
        make_case(name, spec, folder, path)
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__}))


if __name__ == "__main__":
    main()
