#!/usr/bin/env python3
"""Oracle fixtures for the `kivi` and `vidkv` methods, computed by the authors' own code.

Runs on a CUDA machine (their quantizers are Triton kernels and VidKV's FFT runs in fp16 on
cuFFT). It imports, from a local copy that is never committed (see fetch_oracle_sources.sh):
  KIVI  (jy-yuan/KIVI):  quant/new_pack.py  -> triton_quantize_and_pack_along_last_dim,
                         quant_and_pack_kcache (pure-torch cross-check), unpack_and_dequant_vcache
  VidKV (KD-TAO/VidKV):  vidkv_quant.py     -> triton_quantize_and_pack_along_last_dim,
                         unpack_and_dequant_vcache
                         cache_utils.py     -> classes QuantizedTensorFunction, QuantizedCacheVLM,
                                               QuantizedCacheVLMSTP (their update() prefill path)
                         llava_qwen.py      -> LlavaQwenForCausalLM._process_token_mm (salient tokens)
Their cache classes live inside a vendored transformers 4.50 that we do not install: the class
bodies are lifted from cache_utils.py with `ast` and executed on a stub DynamicCache, so the
code that runs is theirs, line for line. KIVI's prefill residual rule sits inside the attention
forward of models/llama_kivi.py; kivi_prefill() below transcribes lines 193-220 of it.

Output: <out>/kivi.{json,bin} and <out>/vidkv.{json,bin}: a JSON index (dtype, shape, byte
offset of each tensor, case parameters, provenance) and one little-endian blob.

    python3 scripts/oracle/make_oracle_fixtures.py --oracle-dir .oracle --out tests/data/oracle
"""
import argparse
import ast
import importlib.util
import json
import os
import platform
import sys
import types
from typing import Any, Dict, List, Optional, Tuple

import torch

DTYPES = {torch.float16: "f16", torch.int32: "i32", torch.float32: "f32", torch.int64: "i32"}


class Blob:
    """Tensors appended to one binary file, indexed by case and name."""

    def __init__(self, meta):
        self.data = bytearray()
        self.index = dict(meta, cases={})

    def add(self, case, name, tensor):
        t = tensor.detach().to("cpu").contiguous()
        if t.dtype == torch.int64:  # indices: int32 is enough and halves the bytes
            t = t.to(torch.int32)
        raw = t.numpy().tobytes()  # numpy is little-endian on x86-64
        while len(self.data) % 8:
            self.data.append(0)
        self.index["cases"][case]["tensors"][name] = {
            "dtype": DTYPES[t.dtype], "shape": list(t.shape), "offset": len(self.data),
            "nbytes": len(raw)}
        self.data += raw

    def case(self, name, params):
        self.index["cases"][name] = {"params": params, "tensors": {}}

    def write(self, out_dir, stem):
        self.index["blob"] = stem + ".bin"
        with open(os.path.join(out_dir, stem + ".bin"), "wb") as f:
            f.write(self.data)
        with open(os.path.join(out_dir, stem + ".json"), "w") as f:
            json.dump(self.index, f, indent=1)


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cache_like(seed, B, H, T, D, outliers, scale_range=(10.0, 50.0)):
    """fp16 [B, H, T, D] ~ N(0, 1) with a few channels scaled x10..x50 (key-like outliers)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, H, T, D, generator=g)
    channels = torch.randperm(D, generator=g)[:outliers]
    factors = torch.empty(outliers).uniform_(*scale_range, generator=g)
    x[..., channels] *= factors
    return x.to(torch.float16).cuda(), channels


def kivi_prefill(new_pack, key_states, value_states, group_size, residual_length, bits):
    """Transcription of models/llama_kivi.py lines 193-220 (prefill branch), unchanged."""
    if key_states.shape[-2] % residual_length != 0:
        if key_states.shape[-2] < residual_length:
            key_states_quant, key_states_full = None, key_states
        else:
            key_states_quant = key_states[:, :, :-(key_states.shape[-2] % residual_length), :].contiguous()
            key_states_full = key_states[:, :, -(key_states.shape[-2] % residual_length):, :].contiguous()
    else:
        key_states_quant, key_states_full = key_states, None
    key = None
    if key_states_quant is not None:
        key = new_pack.triton_quantize_and_pack_along_last_dim(
            key_states_quant.transpose(2, 3).contiguous(), group_size, bits)
    value = None
    if value_states.shape[-2] > residual_length:
        value_states_quant = value_states[:, :, :-residual_length, :].contiguous()
        value = new_pack.triton_quantize_and_pack_along_last_dim(value_states_quant, group_size, bits)
    return key, key_states_full, value


def make_kivi(blob, new_pack):
    # (name, seed, B, H, T, D, bits, G, R, outlier channels)
    cases = [("k2_g32_r32_t100_d64", 11, 1, 2, 100, 64, 2, 32, 32, 4),
             ("k4_g32_r128_t160_d128", 12, 1, 1, 160, 128, 4, 32, 128, 6),
             ("k2_g128_r128_t300_d128", 13, 1, 1, 300, 128, 2, 128, 128, 6)]
    for name, seed, B, H, T, D, bits, G, R, n_out in cases:
        k, _ = cache_like(seed, B, H, T, D, n_out)
        v, _ = cache_like(seed + 1000, B, H, T, D, 0)
        key, key_full, value = kivi_prefill(new_pack, k, v, G, R, bits)
        t_key = 0 if key is None else key[0].shape[-1] * (32 // bits)
        t_val = 0 if value is None else value[0].shape[2]
        blob.case(name, dict(seed_keys=seed, seed_values=seed + 1000, B=B, H=H, T=T, D=D, bits=bits,
                             group_size=G, residual_length=R, outlier_channels=n_out,
                             quantized_key_tokens=t_key, quantized_value_tokens=t_val))
        blob.add(name, "keys", k)
        blob.add(name, "values", v)
        if key is not None:
            code, scale, mn = key  # [B,H,D,Tq*b/32] int32, [B,H,D,Tq/G] fp16 twice
            blob.add(name, "key_codes", code)
            blob.add(name, "key_scale", scale)
            blob.add(name, "key_mn", mn)
            deq = new_pack.unpack_and_dequant_vcache(code, scale.unsqueeze(-1), mn.unsqueeze(-1), G, bits)
            blob.add(name, "key_dequant", deq.transpose(2, 3))  # back to [B,H,Tq,D]
            # Cross-check: their pure-torch quantizer packs keys along tokens ([B,H,Tq*b/32,D]);
            # its codes must be the triton codes transposed.
            ref_code, _, _ = new_pack.quant_and_pack_kcache(k[:, :, :t_key, :].clone(), G, bits)
            assert torch.equal(ref_code.transpose(2, 3), code), name + ": torch and triton keys differ"
        if value is not None:
            code, scale, mn = value  # [B,H,Tv,D*b/32] int32, [B,H,Tv,D/G] fp16 twice
            blob.add(name, "value_codes", code)
            blob.add(name, "value_scale", scale)
            blob.add(name, "value_mn", mn)
            deq = new_pack.unpack_and_dequant_vcache(code, scale.unsqueeze(-1), mn.unsqueeze(-1), G, bits)
            blob.add(name, "value_dequant", deq)
        print(f"kivi {name}: keys quantized {t_key}/{T}, values quantized {t_val}/{T}")

    # Their missing max == min guard: one channel constant over a whole key group.
    name = "constant_group_k2_g32"
    k, _ = cache_like(21, 1, 1, 64, 64, 0)
    k[0, 0, 0:32, 5] = 0.75
    blob.case(name, dict(seed_keys=21, B=1, H=1, T=64, D=64, bits=2, group_size=32,
                         constant_channel=5, constant_tokens=[0, 32], constant_value=0.75))
    code, scale, mn = new_pack.triton_quantize_and_pack_along_last_dim(k.transpose(2, 3).contiguous(), 32, 2)
    deq = new_pack.unpack_and_dequant_vcache(code, scale.unsqueeze(-1), mn.unsqueeze(-1), 32, 2)
    blob.add(name, "keys", k)
    blob.add(name, "key_codes", code)
    blob.add(name, "key_scale", scale)
    blob.add(name, "key_mn", mn)
    blob.add(name, "key_dequant", deq.transpose(2, 3))
    print(f"kivi {name}: words of channel 5 = {code[0, 0, 5].tolist()}, "
          f"dequant finite = {bool(torch.isfinite(deq).all())}")


def lift_classes(path, class_names, namespace):
    """Executes the named top-level classes of a source file inside `namespace`."""
    source = open(path).read()
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in class_names:
            exec(compile(ast.Module([node], []), path, "exec"), namespace)
    return namespace


def lift_method(path, class_name, method_name, namespace):
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method_name:
                    exec(compile(ast.Module([item], []), path, "exec"), namespace)
                    return namespace[method_name]
    raise KeyError(method_name)


class DynamicCache:  # the only part of transformers' DynamicCache their classes touch
    def __init__(self, *args, **kwargs):
        self.key_cache, self.value_cache, self._seen_tokens = [], [], 0


def make_vidkv(blob, vidkv_dir):
    vq = load_module(os.path.join(vidkv_dir, "vidkv_quant.py"), "vidkv_quant")
    ns = dict(torch=torch, DynamicCache=DynamicCache, CacheConfig=object, QuantizedCacheConfig=object,
              Optional=Optional, Dict=Dict, Any=Any, Tuple=Tuple, List=List,
              triton_quantize_and_pack_along_last_dim=vq.triton_quantize_and_pack_along_last_dim,
              unpack_and_dequant_vcache=vq.unpack_and_dequant_vcache)
    lift_classes(os.path.join(vidkv_dir, "cache_utils.py"),
                 {"QuantizedTensorFunction", "QuantizedCacheLM", "QuantizedCacheVLM", "QuantizedCacheVLMSTP"}, ns)
    process_token_mm = lift_method(os.path.join(vidkv_dir, "llava_qwen.py"), "LlavaQwenForCausalLM",
                                   "_process_token_mm", dict(torch=torch))

    # (name, seed, H, D, system tokens, visual tokens, query tokens, stp ratio or None)
    cases = [("stp_d64_t261", 31, 2, 64, 14, 224, 23, 0.3),
             ("vlm_d128_t64", 32, 1, 128, 0, 64, 0, None)]
    for name, seed, H, D, n_sys, n_vis, n_txt, stp in cases:
        T = n_sys + n_vis + n_txt
        k, _ = cache_like(seed, 1, H, T, D, 6)
        v, _ = cache_like(seed + 1000, 1, H, T, D, 0)
        config = types.SimpleNamespace(nbits=[1.5, 1.58], q_group_size=32, residual_length=128, axis_key=-1,
                                       axis_value=-1, compute_dtype=torch.float16, device="cuda")
        params = dict(seed_keys=seed, seed_values=seed + 1000, B=1, H=H, T=T, D=D, system_tokens=n_sys,
                      visual_tokens=n_vis, query_tokens=n_txt, nbits=[1.5, 1.58], group_size=32,
                      residual_length=128, backend="QuantizedCacheVLMSTP" if stp else "QuantizedCacheVLM")
        blob.case(name, params)
        if stp:
            params["vidkv_stp"] = stp
            g = torch.Generator().manual_seed(seed + 2000)
            hidden = 64
            vis = torch.randn(n_vis, hidden, generator=g).to(torch.float16).cuda()
            txt = torch.randn(n_txt, hidden, generator=g).to(torch.float16).cuda()
            model = types.SimpleNamespace(vidkv_stp_radio=stp)
            process_token_mm(model, [None, vis, txt], -100)
            # Their ranking runs on fp16 scores: refuse a fixture whose cut falls on a tie.
            avg_sim = (vis @ txt.T).mean(dim=1)
            kk = max(32, int(n_vis * stp // 32 * 32))
            top = torch.sort(avg_sim.float(), descending=True)[0]
            assert top[kk - 1] != top[kk], "tie at the salient-token cut: pick another seed"
            config.low_tokens, config.rel_tokens = model.low_tokens, model.rel_tokens
            blob.add(name, "visual_embeds", vis)
            blob.add(name, "query_embeds", txt)
            blob.add(name, "avg_sim", avg_sim)
            blob.add(name, "salient_tokens", model.low_tokens)
            cache = ns["QuantizedCacheVLMSTP"](config)
        else:
            cache = ns["QuantizedCacheVLM"](config)
        cache.update(k, v, 0)
        blob.add(name, "keys", k)
        blob.add(name, "values", v)
        qk = cache._quantized_key_cache[0]
        blob.add(name, "key_difficult_idx", qk["difficult_idx"])
        blob.add(name, "key_easy_idx", qk["easy_idx"])
        for part in ("q_difficult", "q_easy"):
            code, scale, mn = qk[part]
            blob.add(name, part + "_codes", code)
            blob.add(name, part + "_scale", scale)
            if part == "q_difficult":
                blob.add(name, part + "_mn", mn)
        # Their FFT intermediate (same call as _quantize_fft): lets the C++ test check the 1-bit
        # quantizer bit-exactly even where our FFT and cuFFT's fp16 FFT round differently.
        t_q = qk["original_shape"][2]
        easy = torch.index_select(k[:, :, :t_q, :], -1, qk["easy_idx"])
        blob.add(name, "key_easy_fft", torch.view_as_real(torch.fft.fft(easy, dim=-1)).reshape(1, H, t_q, -1))
        blob.add(name, "key_dequant", cache._dequantize_key(qk))
        qv = cache._quantized_value_cache[0]
        if stp:
            for part, (code, scale, mn) in (("v_salient", qv[0]), ("v_rest", qv[1])):
                blob.add(name, part + "_codes", code)
                blob.add(name, part + "_scale", scale)
                if part == "v_salient":
                    blob.add(name, part + "_mn", mn)
            blob.add(name, "v_rest_tokens", cache.rel_tokens)
        else:
            code, scale, mn = qv
            blob.add(name, "v_rest_codes", code)
            blob.add(name, "v_rest_scale", scale)
        blob.add(name, "value_dequant", cache._dequantize_value(qv))
        tail = lambda t: int(t.shape[-2]) if t.dim() == 4 else 0  # their empty tail is zeros(0)
        params.update(quantized_tokens=int(t_q), fp16_key_tail=tail(cache.key_cache[0]),
                      fp16_value_tail=tail(cache.value_cache[0]))
        blob.index["cases"][name]["params"] = params
        print(f"vidkv {name}: quantized {t_q}/{T} tokens, difficult channels {qk['difficult_idx'].tolist()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oracle-dir", default=".oracle")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False
    env = dict(torch=torch.__version__, cuda=torch.version.cuda, gpu=torch.cuda.get_device_name(0),
               python=platform.python_version())
    try:
        import triton
        env["triton"] = triton.__version__
    except ImportError:
        pass
    commit = lambda d: open(os.path.join(args.oracle_dir, d, "COMMIT")).read().strip()

    sys.path.insert(0, os.path.join(args.oracle_dir, "kivi"))
    from quant import new_pack  # their module, imported from the carried copy
    kivi = Blob(dict(repo="jy-yuan/KIVI", commit=commit("kivi"), files=["quant/new_pack.py", "models/llama_kivi.py"],
                     environment=env))
    make_kivi(kivi, new_pack)
    kivi.write(args.out, "kivi")

    vidkv = Blob(dict(repo="KD-TAO/VidKV", commit=commit("vidkv"),
                      files=["transformers/src/transformers/vidkv_quant.py",
                             "transformers/src/transformers/cache_utils.py",
                             "llava/model/language_model/llava_qwen.py"], environment=env))
    make_vidkv(vidkv, os.path.join(args.oracle_dir, "vidkv"))
    vidkv.write(args.out, "vidkv")
    print(json.dumps(env))


if __name__ == "__main__":
    main()
