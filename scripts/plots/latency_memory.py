#!/usr/bin/env python3
"""Latency and memory against video length: timing metrics (left) and KV bytes (right)
against the runs' frame count, one line per method variant (PNG and PDF).

    latency_memory.py results/efficiency.h5 -o figures/ [--latency t_decode_per_token_ms_mean]

The frame count is dataset.num_frames for accuracy runs (configs/paper/efficiency.yaml: the
protocol on a model) and experiment.frames for kv_fidelity runs (synthetic caches); it needs
at least two values. Default latency: the per-token decode time for accuracy runs, plan +
build time (t_search_ms_mean + t_quant_ms_mean) for kv_fidelity runs; several --latency
metrics are added up. The memory panel needs kv_bytes and is left out without it. Writes
<stem>_latency_memory.png/.pdf (..._latency_memory_<metric+metric> with --latency other than
the default) and prints the PNG path; skipped and failed runs are listed under the plot.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_python  # noqa: E402

wq_python.require("h5py", "pandas", "matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import figures  # noqa: E402  (this folder: first on sys.path when run as a script)
import wq_results  # noqa: E402

FRAME_KEYS = ("dataset.num_frames", "experiment.frames")
DEFAULT_LATENCY = {"accuracy": ["t_decode_per_token_ms_mean"], "kv_fidelity": ["t_search_ms_mean", "t_quant_ms_mean"]}


def frames_key(frame):
    """The swept frame-count key of these runs (the first with two or more values)."""
    for key in FRAME_KEYS:
        column = "config." + key
        if column in frame.columns and frame[column].nunique() >= 2:
            return key
    return None


def variant(name, key):
    """Run name without its frames axis: the runs of one line differ only in frames."""
    return re.sub(r"/?" + re.escape(key) + r"=[^/]*", "", name).strip("/") or name


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    figures.add_common_arguments(parser)
    parser.add_argument("--latency", nargs="+", help="timing metrics to add up into the latency panel")
    args = parser.parse_args()

    every = wq_results.runs(args.results)
    frame = every[every["status"] == "complete"].reset_index(drop=True) if not every.empty else every
    if frame.empty:
        sys.exit(f"latency_memory: {args.results} has no complete runs")
    key = frames_key(frame)
    if key is None:
        sys.exit(f"latency_memory: {args.results} needs runs at two or more values of "
                 f"{' or '.join(FRAME_KEYS)} (e.g. configs/paper/efficiency.yaml)")
    frames = "config." + key
    default_latency = DEFAULT_LATENCY.get(frame["experiment"].iloc[0], DEFAULT_LATENCY["kv_fidelity"])
    args.latency = args.latency or default_latency
    missing = [m for m in args.latency if m not in frame.columns]
    if missing:
        sys.exit(f"latency_memory: {args.results} lacks timing metric(s) {missing}; present: "
                 f"{sorted(c for c in frame.columns if not c.startswith('config.') and c != 'run_id')}")
    has_bytes = "kv_bytes" in frame.columns
    notes = figures.left_out_notes(figures.left_out(every, args.latency))

    frame = frame.assign(_variant=frame["name"].map(lambda name: variant(name, key)),
                         _latency=frame[args.latency].sum(axis=1))
    fig, axes = plt.subplots(1, 2 if has_bytes else 1, figsize=(11 if has_bytes else 6.4, 4.4), squeeze=False)
    for name, group in sorted(frame.groupby("_variant"), key=lambda item: item[0]):
        group = group.sort_values(frames)
        axes[0][0].plot(group[frames], group["_latency"], marker="o", label=name)
        if has_bytes:
            axes[0][1].plot(group[frames], group["kv_bytes"] / 2**20, marker="o", label=name)
    axes[0][0].set_ylabel(" + ".join(args.latency) + " (ms)")
    axes[0][0].set_yscale("log")
    if has_bytes:
        axes[0][1].set_ylabel("KV cache (MiB)")
    for ax in axes[0]:
        ax.set_xlabel("frames")
        ax.grid(True, alpha=0.3)
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(figures.title(args.results, frame, "latency and memory vs frames"), fontsize=10)
    fig.tight_layout(rect=(0, figures.footnote(fig, notes), 1, 1))
    latency_name = "+".join(args.latency) if args.latency != default_latency else ""
    paths = figures.save(fig, figures.output_stem(args.out_dir, args.results, "latency_memory", latency_name))
    if args.describe:
        figures.describe(fig, args.describe, "latency_memory", paths, latency=args.latency, notes=notes)
    plt.close(fig)
    figures.report(paths, notes)


if __name__ == "__main__":
    main()
