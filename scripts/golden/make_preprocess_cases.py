"""Preprocessing fixtures from raw uint8 frames of odd sizes, made with the checkpoints' own
video processors (transformers 5.17 + torchvision on the GPU machine's CPU), so that the C++
preprocessing is checked bit for bit on shapes the model fixtures do not have: frames smaller
and much larger than the model size, odd sizes, noise (where a float resize's overshoot
differs most) and a smooth gradient, bicubic and bilinear.

Usage (GPU machine, repository root):
    python3 scripts/golden/make_preprocess_cases.py --out tests/data/models/preprocess_cases.safetensors

Writes, per case <name>: raw_<name> U8 [F, H, W, 3] and pixels_<name> F32 (the processor's
pixel_values_videos), plus grid_<name> I64 [3] for the Qwen2-VL processor; the attribute
__metadata__ lists the cases as "<name>:<processor folder>:<resample>".
"""
import argparse
import json

import torch
import transformers
from safetensors.torch import save_file

FOLDERS = {"llava": "tests/data/models/llava_onevision", "qwen": "tests/data/models/qwen2_vl/tiny"}
SIZES = [(90, 120), (361, 640), (17, 29), (5, 250)]


def frames(kind, count, height, width, g):
    if kind == "noise":
        return torch.randint(0, 256, (count, height, width, 3), generator=g, dtype=torch.int64).to(torch.uint8)
    y = torch.linspace(0, 1, height).view(1, height, 1, 1)
    x = torch.linspace(0, 1, width).view(1, 1, width, 1)
    channel = torch.tensor([0.2, 0.5, 0.9]).view(1, 1, 1, 3)
    t = torch.arange(count).view(count, 1, 1, 1) / max(count, 1)
    return (255 * ((x * channel + y * (1 - channel) + t) % 1.0)).round().to(torch.uint8)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    g = torch.Generator().manual_seed(4321)
    tensors, cases = {}, []
    for family, folder in FOLDERS.items():
        for resample in (3, 2):
            vp = transformers.AutoVideoProcessor.from_pretrained(folder, resample=resample)
            for height, width in SIZES:
                for kind in ("noise", "gradient"):
                    name = f"{family}_{'bicubic' if resample == 3 else 'bilinear'}_{kind}_{height}x{width}"
                    raw = frames(kind, 3, height, width, g)
                    out = vp(videos=[raw.numpy()], return_tensors="pt")
                    tensors["raw_" + name] = raw.contiguous()
                    tensors["pixels_" + name] = out["pixel_values_videos"].float().contiguous()
                    if "video_grid_thw" in out:
                        tensors["grid_" + name] = out["video_grid_thw"][0].to(torch.int64).contiguous()
                    cases.append(f"{name}:{folder}:{resample}")
    versions = {"torch": torch.__version__, "transformers": transformers.__version__}
    save_file(tensors, args.out, metadata={"cases": json.dumps(cases), "versions": json.dumps(versions)})
    print(f"{len(cases)} cases -> {args.out}")


if __name__ == "__main__":
    main()
