#!/usr/bin/env python3
"""Writes the tiny golden fixtures of tests/data/models/<family>/ with transformers.

Every parameter of each tiny checkpoint is drawn at random (biases and norm weights too:
the default init sets biases to 0 and norms to 1, which would hide a missing bias or norm
in our C++ port). Reference outputs are computed on CPU in fp32 with eager attention so they
do not depend on the GPU or on a fused kernel.

Usage (GPU machine: torch 2.11, transformers 5.17, torchvision for the video processor):
    python3 scripts/golden/make_golden.py --out tests/data/models
"""
import argparse
import json
import os
import sys
import traceback

import numpy as np
import torch
import transformers
from safetensors.torch import save_file

SEED = 1234


def randomize(model, generator, unit_scale=("embed", "position")):
    # Matrices ~ N(0, 1/fan_in) keep activations O(1), except lookup tables (names containing
    # one of `unit_scale`), which get N(0, 1); vectors (biases, norm weights, embeddings of the
    # newline) get values far from the default 0/1 init.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                fan_in = p[0].numel()
                scale = 1.0 if any(s in name for s in unit_scale) else fan_in ** -0.5
                p.copy_(torch.randn(p.shape, generator=generator) * scale)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))


def set_eager(model):
    try:
        model.set_attn_implementation("eager")
    except Exception:  # older API
        model.config._attn_implementation = "eager"


def cache_kv(past, layers):
    out = {}
    for i in range(layers):
        if hasattr(past, "layers"):
            k, v = past.layers[i].keys, past.layers[i].values
        else:
            k, v = past[i]
        out[f"k_{i}"] = k.detach().float().contiguous()
        out[f"v_{i}"] = v.detach().float().contiguous()
    return out


def greedy(model, n_new, **inputs):
    out = model.generate(**inputs, max_new_tokens=n_new, min_new_tokens=n_new, do_sample=False,
                         num_beams=1, eos_token_id=None, pad_token_id=0)
    return out[0, inputs["input_ids"].shape[1]:].detach().to(torch.int64).contiguous()


def qwen2_text_config(layers, tie, theta):
    return transformers.Qwen2Config(
        vocab_size=96, hidden_size=64, intermediate_size=112, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        rms_norm_eps=1e-6, tie_word_embeddings=tie,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
        bos_token_id=1, eos_token_id=2)


def make_qwen2(out_dir):
    g = torch.Generator().manual_seed(SEED)
    cfg = qwen2_text_config(layers=3, tie=True, theta=10000.0)
    model = transformers.Qwen2ForCausalLM(cfg).float().eval()
    set_eager(model)
    randomize(model, g)
    if cfg.tie_word_embeddings:
        model.tie_weights()
    os.makedirs(out_dir, exist_ok=True)
    # Small shards on purpose: the fixture is then a sharded checkpoint with
    # model.safetensors.index.json exactly as HF writes it.
    model.save_pretrained(out_dir, max_shard_size="60KB")
    ids = torch.randint(3, cfg.vocab_size, (1, 13), generator=g)
    with torch.no_grad():
        res = model(input_ids=ids, use_cache=True)
    golden = {"input_ids": ids.to(torch.int64).contiguous(),
              "logits": res.logits.float().contiguous()}
    golden.update(cache_kv(res.past_key_values, cfg.num_hidden_layers))
    with torch.no_grad():
        golden["greedy"] = greedy(model, 8, input_ids=ids, attention_mask=torch.ones_like(ids))
    save_file(golden, os.path.join(out_dir, "golden.safetensors"))


def make_llava_onevision(out_dir):
    g = torch.Generator().manual_seed(SEED + 1)
    text = qwen2_text_config(layers=2, tie=False, theta=1000000.0)
    # 70 px / 14 px = 5x5 patches: an odd grid, so the 2x2 bilinear pooling runs at a
    # non-integer ratio (5 -> ceil(5/2) = 3) as 27 -> 14 does in the released models.
    vision = transformers.SiglipVisionConfig(
        hidden_size=32, intermediate_size=48, num_hidden_layers=3, num_attention_heads=2,
        image_size=70, patch_size=14, layer_norm_eps=1e-6, hidden_act="gelu_pytorch_tanh")
    try:
        vision.vision_use_head = False  # as in the released checkpoints: no pooling head
    except Exception:
        traceback.print_exc()
    common = dict(text_config=text, vision_config=vision, vision_feature_layer=-1,
                  vision_feature_select_strategy="full", projector_hidden_act="gelu",
                  tie_word_embeddings=False)
    try:  # transformers 5 names the ids *_token_id; older releases *_token_index
        cfg = transformers.LlavaOnevisionConfig(image_token_id=94, video_token_id=95, **common)
    except TypeError:
        cfg = transformers.LlavaOnevisionConfig(image_token_index=94, video_token_index=95, **common)
    video_token = getattr(cfg, "video_token_id", None)
    if video_token is None:
        video_token = cfg.video_token_index
    assert video_token == 95, video_token
    model = transformers.LlavaOnevisionForConditionalGeneration(cfg).float().eval()
    set_eager(model)
    randomize(model, g)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir)

    frames, size = 3, 70
    golden = {}
    # Raw frames (uint8, T x H x W x 3) larger than the model size, so the processor's
    # bicubic resize downsamples (antialiased) on one axis and upsamples on the other.
    raw = torch.randint(0, 256, (frames, 61, 97, 3), generator=g, dtype=torch.int64).to(torch.uint8)
    golden["raw_frames"] = raw.contiguous()
    try:
        vp = transformers.LlavaOnevisionVideoProcessor(
            size={"height": size, "width": size}, image_mean=[0.5, 0.5, 0.5],
            image_std=[0.5, 0.5, 0.5], resample=3, do_resize=True, do_rescale=True,
            rescale_factor=1 / 255, do_normalize=True, do_convert_rgb=True)
        vp.save_pretrained(out_dir)
        proc = vp(videos=[raw.numpy()], return_tensors="pt")
        golden["processed_pixel_values"] = proc["pixel_values_videos"].float().contiguous()
    except Exception:
        traceback.print_exc()
    # The model is fed its own random pixel values, so preprocessing and model are tested
    # separately.
    pixels = torch.randn((1, frames, 3, size, size), generator=g)
    per_frame = (vision.image_size // vision.patch_size + 1) // 2
    n_video = frames * per_frame * per_frame + 1
    pre = torch.randint(3, 94, (1, 5), generator=g)
    post = torch.randint(3, 94, (1, 6), generator=g)
    ids = torch.cat([pre, torch.full((1, n_video), video_token), post], dim=1)
    golden.update({"input_ids": ids.to(torch.int64).contiguous(), "pixel_values_videos": pixels})
    with torch.no_grad():
        res = model(input_ids=ids, pixel_values_videos=pixels, use_cache=True)
        vf = model.model.get_video_features(
            pixels, vision_feature_layer=cfg.vision_feature_layer,
            vision_feature_select_strategy=cfg.vision_feature_select_strategy, return_dict=True)
        golden["video_features"] = vf.pooler_output.float().contiguous()
    golden["logits"] = res.logits.float().contiguous()
    golden.update(cache_kv(res.past_key_values, text.num_hidden_layers))
    with torch.no_grad():
        golden["greedy"] = greedy(model, 6, input_ids=ids, pixel_values_videos=pixels,
                                  attention_mask=torch.ones_like(ids))
    save_file(golden, os.path.join(out_dir, "golden.safetensors"))


def make_qwen2_vl_configs(out_dir):
    # The default configs (typed-config tests); the tiny model fixtures below these folders
    # come from make_golden_qwen2_vl.py.
    for name, cls in (("qwen2_vl", "Qwen2VLConfig"), ("qwen2_5_vl", "Qwen2_5_VLConfig")):
        try:
            cfg = getattr(transformers, cls)()
            d = os.path.join(out_dir, name)
            os.makedirs(d, exist_ok=True)
            cfg.save_pretrained(d)
        except Exception:
            traceback.print_exc()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/models")
    args = ap.parse_args()
    torch.manual_seed(SEED)
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "python": sys.version.split()[0], "numpy": np.__version__}
    ok = True
    for name, fn in (("qwen2", make_qwen2), ("llava_onevision", make_llava_onevision)):
        try:
            fn(os.path.join(args.out, name))
            print(f"[ok] {name}")
        except Exception:
            ok = False
            traceback.print_exc()
            print(f"[failed] {name}")
    make_qwen2_vl_configs(args.out)
    with open(os.path.join(args.out, "versions.json"), "w") as f:
        json.dump(versions, f, indent=1)
    print(json.dumps(versions))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
