#!/usr/bin/env python3
"""Writes the tiny Qwen2-VL and Qwen2.5-VL golden fixtures, tests/data/models/<family>/tiny/.

Same conventions as make_golden.py (whose helpers this reuses): every parameter random, CPU
fp32 references with eager attention. The folders' own config.json (the default configs that
test_model_config.cpp reads) stay where they are; the fixtures live one level down.

The model is fed the video processor's own output for the stored raw frames, so one video
checks both the preprocessing and the model. The prompt is text, <|vision_start|>, the video
placeholders, <|vision_end|>, text, and the multimodal rope index comes from the model's
get_rope_index exactly as generate() computes it.

Usage (GPU machine: torch 2.11, transformers 5.17, torchvision for the video processor):
    python3 scripts/golden/make_golden_qwen2_vl.py --out tests/data/models
"""
import argparse
import json
import os
import sys
import traceback

import torch
import transformers
from safetensors.torch import save_file
from transformers.models.qwen2_vl.video_processing_qwen2_vl import smart_resize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import SEED, cache_kv, greedy, randomize, set_eager  # noqa: E402

# Special ids inside the tiny vocabulary (the released models use 151652..151656).
VOCAB, IMAGE_TOKEN, VIDEO_TOKEN, VISION_START, VISION_END = 96, 92, 93, 94, 95
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
# 70 x 130 frames: smart_resize gives 56 x 140 (70/28 = 2.5 rounds half to even: 2), so the
# bicubic resize shrinks one axis and enlarges the other; 4 x 10 patches, 2 x 5 merged tokens.
FRAME_H, FRAME_W = 70, 130

FAMILIES = {
    # 5 frames: an odd count, so the processor repeats the last frame (3 temporal patches).
    "qwen2_vl": dict(
        config="Qwen2VLConfig", model="Qwen2VLForConditionalGeneration", frames=5,
        second_per_grid_t=None, seed=SEED + 10,
        vision=dict(depth=2, embed_dim=32, hidden_size=64, mlp_ratio=2, num_heads=2,
                    patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                    hidden_act="quick_gelu")),
    # window_size 56 = 2 x 2 merged tokens per window: the 2 x 5 merged grid splits into windows
    # of 4, 4 and 2 tokens per frame (plus the empty padded ones transformers drops); block 1
    # attends over whole frames. second_per_grid_t 2.5 checks that get_rope_index truncates it
    # (int(2.5) = 2) before scaling by tokens_per_second.
    "qwen2_5_vl": dict(
        config="Qwen2_5_VLConfig", model="Qwen2_5_VLForConditionalGeneration", frames=4,
        second_per_grid_t=2.5, seed=SEED + 11,
        vision=dict(depth=3, hidden_size=32, intermediate_size=48, out_hidden_size=64,
                    num_heads=2, patch_size=14, spatial_merge_size=2, temporal_patch_size=2,
                    hidden_act="silu", window_size=56, fullatt_block_indexes=[1],
                    tokens_per_second=3)),
}


def text_config():
    # head_dim 16: the rotary half-dimension 8 splits into temporal/height/width 2 + 3 + 3.
    return dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=112, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2,
                rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                                 "mrope_section": [2, 3, 3]})


def smart_resize_cases():
    # Rows: height, width, factor, min_pixels, max_pixels -> resized height, width. Covers
    # half-to-even rounding, the max_pixels and min_pixels branches and a non-28 factor.
    rows = []
    for h, w, factor, lo, hi in [(70, 130, 28, 3136, 12544), (42, 70, 28, 3136, 12544),
                                 (480, 640, 28, 3136, 12544), (20, 30, 28, 3136, 12544),
                                 (1080, 1920, 28, 100352, 602112), (33, 500, 16, 256, 4096),
                                 (14, 2000, 28, 3136, 50000)]:
        rows.append([h, w, factor, lo, hi, *smart_resize(h, w, factor, lo, hi)])
    return torch.tensor(rows, dtype=torch.int64)


def make_family(name, spec, out_dir):
    g = torch.Generator().manual_seed(spec["seed"])
    cfg = getattr(transformers, spec["config"])(
        text_config=text_config(), vision_config=spec["vision"], image_token_id=IMAGE_TOKEN,
        video_token_id=VIDEO_TOKEN, vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END, tie_word_embeddings=False)
    model = getattr(transformers, spec["model"])(cfg).float().eval()
    set_eager(model)
    # Only the token table is a lookup; the Conv3d patch embedding is a matrix like any other.
    randomize(model, g, unit_scale=("embed_tokens",))
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)

    vp = transformers.Qwen2VLVideoProcessor(
        size={"shortest_edge": 28 * 28 * 4, "longest_edge": 28 * 28 * 16}, patch_size=14,
        temporal_patch_size=2, merge_size=2, image_mean=CLIP_MEAN, image_std=CLIP_STD,
        resample=3, do_resize=True, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        do_convert_rgb=True, cap_pixels_per_frame=False)
    vp.save_pretrained(out_dir)
    raw = torch.randint(0, 256, (spec["frames"], FRAME_H, FRAME_W, 3), generator=g,
                        dtype=torch.int64).to(torch.uint8)
    proc = vp(videos=[raw.numpy()], return_tensors="pt")
    pixels = proc["pixel_values_videos"].float().contiguous()
    grid = proc["video_grid_thw"].to(torch.int64)

    n_video = int(grid.prod()) // cfg.vision_config.spatial_merge_size ** 2
    pre = torch.randint(3, IMAGE_TOKEN, (1, 5), generator=g)
    post = torch.randint(3, IMAGE_TOKEN, (1, 6), generator=g)
    ids = torch.cat([pre, torch.tensor([[VISION_START]]), torch.full((1, n_video), VIDEO_TOKEN),
                     torch.tensor([[VISION_END]]), post], dim=1)
    token_types = (ids == VIDEO_TOKEN).to(torch.int32) * 2  # text 0, image 1, video 2
    inputs = dict(pixel_values_videos=pixels, video_grid_thw=grid, mm_token_type_ids=token_types)
    if spec["second_per_grid_t"] is not None:
        inputs["second_per_grid_ts"] = torch.tensor([spec["second_per_grid_t"]])

    golden = {"raw_frames": raw.contiguous(), "input_ids": ids.to(torch.int64).contiguous(),
              "pixel_values_videos": pixels, "video_grid_thw": grid.contiguous(),
              "smart_resize_cases": smart_resize_cases()}
    if "second_per_grid_ts" in inputs:
        golden["second_per_grid_ts"] = inputs["second_per_grid_ts"].float()
    with torch.no_grad():
        res = model(input_ids=ids, use_cache=True, **inputs)
        rope_args = {k: v for k, v in inputs.items() if k != "pixel_values_videos"}
        positions, delta = model.model.get_rope_index(ids, **rope_args)
        features = model.model.get_video_features(pixels, grid).pooler_output
    golden["video_embeds"] = torch.cat(features, dim=0).float().contiguous()
    golden["position_ids"] = positions.to(torch.int64).contiguous()
    golden["rope_delta"] = delta.to(torch.int64).reshape(1).contiguous()
    golden["logits"] = res.logits.float().contiguous()
    golden.update(cache_kv(res.past_key_values, cfg.text_config.num_hidden_layers))
    with torch.no_grad():
        golden["greedy"] = greedy(model, 6, input_ids=ids, attention_mask=torch.ones_like(ids),
                                  **inputs)
    save_file(golden, os.path.join(out_dir, "golden.safetensors"))
    print(name, "grid", grid.tolist(), "tokens", ids.shape[1], "delta", int(delta),
          "greedy", golden["greedy"].tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/models")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    ok = True
    for name, spec in FAMILIES.items():
        try:
            make_family(name, spec, os.path.join(args.out, name, "tiny"))
            print(f"[ok] {name}")
        except Exception:
            ok = False
            traceback.print_exc()
            print(f"[failed] {name}")
    print(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
