#!/usr/bin/env python3
"""transformers' side of scripts/gpu_model_speed.sh, and the table that sets it beside ours.

  time:  loads the folder bench_model_speed wrote (LlavaOnevisionForConditionalGeneration,
         bf16, attn_implementation="sdpa", on the GPU) and times the phases bench_model_speed
         times, the same way: the vision path (tower + projector + pooling, get_video_features)
         at 16 and 64 frames, the context prefill (the language model over `context` embeddings,
         cache kept), the query prefill over a copy of that cache (with the last token's logits),
         and per-token decode at batch 1 and 8 over the prompt's cache (DynamicCache, repeated
         along the batch axis). Medians after warm-up; host wall clock between
         torch.cuda.synchronize() calls, as the C++ side measures.
  table: the markdown table of both JSON files: phase, ours ms, transformers ms, ratio.

Usage (GPU machine: torch 2.11, transformers 5.17):
    python3 scripts/model_speed_hf.py time <weights_folder> <out.json> [--context 12608] [--query 20] [--steps 24]
    python3 scripts/model_speed_hf.py table <ours.json> <transformers.json> [--gpu NAME]
"""
import argparse
import copy
import json
import statistics
import time

PHASES = ["vision_16f", "vision_64f", "prefill_context", "prefill_query", "decode_b1", "decode_b8"]


def median_ms(torch, warmup, reps, fn, before=None):
    for _ in range(warmup):
        if before:
            before()
        fn()
    times = []
    for _ in range(reps):
        if before:
            before()
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def repeat_cache(cache, batch):
    """A copy of a batch-1 DynamicCache with every layer repeated `batch` times."""
    out = copy.deepcopy(cache)
    for layer in out.layers:  # transformers 5: one DynamicLayer per decoder layer
        layer.keys = layer.keys.repeat(batch, 1, 1, 1)
        layer.values = layer.values.repeat(batch, 1, 1, 1)
    return out


def time_phases(args):
    import torch
    import transformers

    load = dict(dtype=torch.bfloat16, attn_implementation="sdpa")
    try:  # straight onto the GPU where this transformers allows it
        model = transformers.LlavaOnevisionForConditionalGeneration.from_pretrained(args.weights, device_map="cuda", **load)
    except (ImportError, ValueError) as e:
        print(f"device_map='cuda' refused ({e}); loading on the CPU, then moving", flush=True)
        model = transformers.LlavaOnevisionForConditionalGeneration.from_pretrained(args.weights, **load).to("cuda")
    model.eval()
    cfg = model.config
    lm, head = model.model.language_model, model.lm_head
    device = torch.device("cuda")
    image = cfg.vision_config.image_size
    vocab = cfg.text_config.vocab_size
    phases = {}

    def report(name, ms):
        phases[name] = ms
        print(f"{name:22s} {ms:10.2f} ms", flush=True)

    torch.manual_seed(0)
    with torch.inference_mode():
        for frames in (16, 64):
            pixels = torch.randn((1, frames, 3, image, image), device=device, dtype=torch.bfloat16)
            report(f"vision_{frames}f", median_ms(torch, 1, 5, lambda: model.model.get_video_features(
                pixels, vision_feature_layer=cfg.vision_feature_layer,
                vision_feature_select_strategy=cfg.vision_feature_select_strategy, return_dict=True)))

        def embeds(batch, tokens):
            return lm.embed_tokens(torch.randint(vocab, (batch, tokens), device=device))

        context_embeds = embeds(1, args.context)
        state = {}

        def prefill_context():
            state["context"] = lm(inputs_embeds=context_embeds, use_cache=True).past_key_values

        report("prefill_context", median_ms(torch, 1, 3, prefill_context))
        query_embeds = embeds(1, args.query)

        def fresh_cache():  # the query prefill appends to the cache it is given
            state["cache"] = copy.deepcopy(state["context"])

        def prefill_query():
            hidden = lm(inputs_embeds=query_embeds, past_key_values=state["cache"], use_cache=True).last_hidden_state
            head(hidden[:, -1])

        report("prefill_query", median_ms(torch, 2, 10, prefill_query, before=fresh_cache))
        fresh_cache()
        prefill_query()
        prompt = state.pop("cache")
        state.clear()
        for batch in (1, 8):
            cache = repeat_cache(prompt, batch)
            token = torch.full((batch, 1), 42, device=device)
            times = []
            for step in range(args.steps + 3):  # 3 warm-up steps, as on the C++ side
                torch.cuda.synchronize()
                start = time.perf_counter()
                hidden = lm(input_ids=token, past_key_values=cache, use_cache=True).last_hidden_state
                head(hidden[:, -1])
                torch.cuda.synchronize()
                if step >= 3:
                    times.append((time.perf_counter() - start) * 1e3)
            report(f"decode_b{batch}", statistics.median(times))
            del cache
            torch.cuda.empty_cache()
    result = {"implementation": "transformers " + transformers.__version__ + ", torch " + torch.__version__,
              "attention": "sdpa", "context_tokens": args.context, "query_tokens": args.query,
              "decode_steps": args.steps, "phases": phases}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


def table(args):
    with open(args.ours) as f:
        ours = json.load(f)
    with open(args.transformers) as f:
        theirs = json.load(f)
    if args.gpu:
        print(f"GPU: {args.gpu}; ours: attention {ours.get('attention')}; {theirs.get('implementation')}, "
              f"SDPA; bf16; context {ours.get('context_tokens')} tokens, query {ours.get('query_tokens')}, "
              f"decode median of {ours.get('decode_steps')} steps.\n")
    print("| phase | ours ms | transformers ms | ours / transformers |")
    print("|---|---:|---:|---:|")
    for phase in PHASES:
        a, b = ours["phases"].get(phase), theirs["phases"].get(phase)
        cell = lambda x: "—" if x is None else f"{x:.2f}"
        ratio = "—" if a is None or not b else f"{a / b:.2f}"
        print(f"| {phase} | {cell(a)} | {cell(b)} | {ratio} |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("time")
    t.add_argument("weights")
    t.add_argument("out")
    t.add_argument("--context", type=int, default=12608)
    t.add_argument("--query", type=int, default=20)
    t.add_argument("--steps", type=int, default=24)
    t.set_defaults(run=time_phases)
    s = sub.add_parser("table")
    s.add_argument("ours")
    s.add_argument("transformers")
    s.add_argument("--gpu", default="")
    s.set_defaults(run=table)
    args = ap.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
