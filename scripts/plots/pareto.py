#!/usr/bin/env python3
"""Pareto plot: a metric against effective bits, one line per method (PNG and PDF).

    pareto.py results/quickstart.h5 -o figures/ [--metric attn_out_rel_err]

Default metric: accuracy for accuracy runs, attn_out_rel_err for kv_fidelity runs.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import figures  # noqa: E402  (this folder: first on sys.path when run as a script)
import wq_results  # noqa: E402

DEFAULT_METRIC = {"accuracy": "accuracy", "kv_fidelity": "attn_out_rel_err"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("-o", "--out-dir", default="figures")
    parser.add_argument("--metric")
    parser.add_argument("--log-y", action="store_true", help="logarithmic metric axis")
    args = parser.parse_args()

    frame = wq_results.runs(args.results, status="complete")
    if frame.empty:
        sys.exit(f"pareto: {args.results} has no complete runs")
    metric = args.metric or DEFAULT_METRIC.get(frame["experiment"].iloc[0])
    for needed in (metric, "bits_effective"):
        if needed is None or needed not in frame.columns:
            sys.exit(f"pareto: {args.results} lacks metric '{needed}' (experiment "
                     f"'{frame['experiment'].iloc[0]}'); pass --metric one of "
                     f"{sorted(c for c in frame.columns if not c.startswith('config.'))}")

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for method, group in sorted(frame.groupby("method"), key=lambda item: item[0]):
        group = group.sort_values("bits_effective")
        ax.plot(group["bits_effective"], group[metric], marker="o", label=method)
    ax.set_xlabel("effective bits per visual K/V element")
    ax.set_ylabel(metric.replace("_", " "))
    if args.log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(title="method", fontsize=8)
    ax.set_title(os.path.basename(args.results))
    fig.tight_layout()
    print(figures.save(fig, args.out_dir, args.results, "pareto"))


if __name__ == "__main__":
    main()
