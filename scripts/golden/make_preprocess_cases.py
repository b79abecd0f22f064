"""Preprocessing fixtures from raw uint8 frames of odd sizes, made with the checkpoints' own
video processors (transformers 5.17 + torchvision on the GPU machine's CPU), so that the C++
preprocessing is checked bit for bit on shapes the model fixtures do not have: frames smaller
and much larger than the model size, odd sizes, noise (where a float resize's overshoot
differs most) and a smooth gradient, bicubic and bilinear.

Usage (GPU machine, repository root):
    python3 scripts/golden/make_preprocess_cases.py --out tests/data/models/preprocess_cases.safetensors

Raw frames (2 per video) are stored once per size and kind as raw_<size>_<kind> U8 [F, H, W, 3].
The processor outputs are too large to store whole (a 384x384 LLaVA video is 3.5 MB), so per case
<name> the file keeps the output's shape (shape_<name> I64), its float64 sum (sum_<name> F64 [1])
and its values at 4096 seeded positions (idx_<name> I64, pixels_<name> F32): a resize that
differs anywhere but at those positions still moves the sum. grid_<name> I64 [3] is the Qwen2-VL
processor's video_grid_thw. The attribute "cases" lists "<name>:<raw>:<processor folder>:<resample>";
"refused" lists the cases the processor raised on, in the same form.
"""
import argparse
import json

import torch
import transformers
from safetensors.torch import save_file

FOLDERS = {"llava": "tests/data/models/llava_onevision", "qwen": "tests/data/models/qwen2_vl/tiny"}
SIZES = [(90, 120), (361, 640), (17, 29), (5, 250)]
SAMPLES = 4096


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
    tensors, cases, refused = {}, [], []
    raws = {}
    for height, width in SIZES:
        for kind in ("noise", "gradient"):
            raws[f"{height}x{width}_{kind}"] = frames(kind, 2, height, width, g)
    for key, raw in raws.items():
        tensors["raw_" + key] = raw.contiguous()
    for family, folder in FOLDERS.items():
        for resample in (3, 2):
            vp = transformers.AutoVideoProcessor.from_pretrained(folder, resample=resample)
            for key, raw in raws.items():
                name = f"{family}_{'bicubic' if resample == 3 else 'bilinear'}_{key}"
                try:
                    out = vp(videos=[raw.numpy()], return_tensors="pt")
                except Exception as e:  # a shape the processor refuses: ours must refuse it too
                    refused.append(f"{name}:raw_{key}:{folder}:{resample}")
                    print(f"refused {name}: {e}")
                    continue
                pixels = out["pixel_values_videos"].float().contiguous()
                if "video_grid_thw" in out:
                    tensors["grid_" + name] = out["video_grid_thw"][0].to(torch.int64).contiguous()
                else:
                    pixels = pixels[0]  # [frames, 3, H, W] of the one video
                flat = pixels.reshape(-1)
                idx = torch.randperm(flat.numel(), generator=g)[:SAMPLES].sort().values
                tensors["shape_" + name] = torch.tensor(pixels.shape, dtype=torch.int64)
                tensors["sum_" + name] = flat.double().sum().reshape(1)
                tensors["idx_" + name] = idx.to(torch.int64).contiguous()
                tensors["pixels_" + name] = flat[idx].contiguous()
                cases.append(f"{name}:raw_{key}:{folder}:{resample}")
    versions = {"torch": torch.__version__, "transformers": transformers.__version__}
    save_file(tensors, args.out, metadata={"cases": json.dumps(cases), "refused": json.dumps(refused),
                                                "versions": json.dumps(versions)})
    print(f"{len(cases)} cases, {len(refused)} refused -> {args.out}")


if __name__ == "__main__":
    main()
