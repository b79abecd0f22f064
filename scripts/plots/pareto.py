#!/usr/bin/env python3
"""Pareto plot: a metric against the achieved effective bits of the quantized runs, one line
per method, FP16 (the fp16 runs) as a labelled horizontal reference line (PNG and PDF).

    pareto.py results/main_accuracy.h5 -o figures/ [--metric attn_out_rel_err] [--log-y]

Writes <stem>_pareto_<metric>.png/.pdf (..._logy with --log-y) and prints the PNG path. The
metric axis is linear unless --log-y, and always for accuracy metrics. Skipped and failed runs are not points: they are
listed under the plot and on stderr. The title is the sweep's name and the samples per run.
Default metric: accuracy for accuracy runs, attn_out_rel_err for kv_fidelity runs.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_python  # noqa: E402

wq_python.require("h5py", "pandas", "matplotlib")

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import figures  # noqa: E402  (this folder: first on sys.path when run as a script)
import wq_results  # noqa: E402

DEFAULT_METRIC = {"accuracy": "accuracy", "kv_fidelity": "attn_out_rel_err"}
REFERENCE_METHOD = "fp16"  # no quantization: the line every method is read against
BITS = "bits_effective"


def reference_label(reference, metric):
    value = reference[metric].mean()
    bits = reference[BITS].dropna()
    bits_text = f"{bits.mean():.3g} bits" if len(bits) else "16 bits"
    runs = f", mean of {len(reference)} runs" if len(reference) > 1 else ""
    return value, f"FP16 ({bits_text}): {metric} {value:.4g}{runs}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    figures.add_common_arguments(parser)
    parser.add_argument("--metric")
    parser.add_argument("--log-y", action="store_true",
                        help="logarithmic metric axis (for errors; an accuracy axis stays linear)")
    args = parser.parse_args()

    every = wq_results.runs(args.results, config=False)
    frame = every[every["status"] == "complete"] if not every.empty else every
    if frame.empty:
        sys.exit(f"pareto: {args.results} has no complete runs")
    metric = args.metric or DEFAULT_METRIC.get(frame["experiment"].iloc[0])
    for needed in (metric, BITS):
        if needed is None or needed not in frame.columns:
            sys.exit(f"pareto: {args.results} lacks metric '{needed}' (experiment "
                     f"'{frame['experiment'].iloc[0]}'); pass --metric one of "
                     f"{sorted(c for c in frame.columns if c not in wq_results.RUN_ATTRIBUTES and c != 'run_id')}")
    drawn = frame.dropna(subset=[metric])
    reference = drawn[drawn["method"] == REFERENCE_METHOD]
    quantized = drawn[drawn["method"] != REFERENCE_METHOD].dropna(subset=[BITS])
    if quantized.empty:
        sys.exit(f"pareto: {args.results} has no complete quantized runs with {metric} and {BITS} "
                 f"(methods: {sorted(set(frame['method']))})")
    said = []  # printed after the PNG path, which callers read from the first line
    if args.log_y and metric.startswith("accuracy"):
        # A fraction in [0, 1] read against FP16: a log axis would only distort the gaps.
        args.log_y = False
        said.append(f"pareto: --log-y ignored for {metric}: the accuracy axis stays linear")
    no_bits = drawn[(drawn["method"] != REFERENCE_METHOD) & drawn[BITS].isna()]
    notes = figures.left_out_notes(figures.left_out(every, (metric,)) +
                                   [(name, f"complete, no {BITS}") for name in no_bits["name"]])

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for method, group in sorted(quantized.groupby("method"), key=lambda item: item[0]):
        group = group.sort_values([BITS, metric])
        ax.plot(group[BITS], group[metric], marker="o", label=method)
    reference_value = None
    if not reference.empty:
        reference_value, label = reference_label(reference, metric)
        if args.log_y and reference_value <= 0:
            notes.insert(0, f"{label}: not drawn on a log axis")
        else:
            ax.axhline(reference_value, color="black", linestyle="--", linewidth=1.2, label=label, gid="reference")
    ax.set_xlabel("achieved effective bits per visual K/V element")
    ax.set_ylabel(metric.replace("_", " "))
    if args.log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(figures.title(args.results, drawn, f"{metric} vs effective bits"), fontsize=10)
    fig.tight_layout(rect=(0, figures.footnote(fig, notes), 1, 1))
    stem = figures.output_stem(args.out_dir, args.results, "pareto", metric, "logy" if args.log_y else "")
    paths = figures.save(fig, stem)
    if args.describe:
        figures.describe(fig, args.describe, "pareto", paths, metric=metric, notes=notes,
                         reference=None if reference_value is None else
                         {"method": REFERENCE_METHOD, "runs": len(reference), "value": reference_value},
                         samples_per_run=figures.samples_per_run(args.results, drawn))
    plt.close(fig)
    figures.report(paths, notes + said)


if __name__ == "__main__":
    main()
