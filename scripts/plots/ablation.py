#!/usr/bin/env python3
"""Ablation plot: a metric against one swept config key, one line per value of another
(PNG and PDF). Numeric keys get a numeric axis; others (similarity names, bit lists,
true/false) are placed side by side in the order the sweep ran them.

    ablation.py results/ablation_residual.h5 --x method.residual --lines method.budget_bits -o figures/

Keys are config keys as in the YAML (method.window_size) or the results' config.* columns.
Default metric: attn_out_rel_err for kv_fidelity runs, accuracy for accuracy runs.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_results  # noqa: E402

DEFAULT_METRIC = {"accuracy": "accuracy", "kv_fidelity": "attn_out_rel_err"}


def column_for(key):
    return key if key.startswith("config.") else "config." + key


def load(results, x_key, line_key, metric, tool):
    """Complete runs with the columns the plot needs, or exit saying what is missing."""
    frame = wq_results.runs(results, status="complete")
    if frame.empty:
        sys.exit(f"{tool}: {results} has no complete runs")
    metric = metric or DEFAULT_METRIC.get(frame["experiment"].iloc[0])
    config_keys = sorted(c[len("config."):] for c in frame.columns if c.startswith("config."))
    for needed in (x_key, line_key):
        if needed and column_for(needed) not in frame.columns:
            sys.exit(f"{tool}: {results} has no config key '{needed}'; its runs have: {', '.join(config_keys)}")
    if metric is None or metric not in frame.columns:
        sys.exit(f"{tool}: {results} lacks metric '{metric}'; pass --metric one of "
                 f"{sorted(c for c in frame.columns if not c.startswith('config.') and c != 'run_id')}")
    if frame[column_for(x_key)].nunique() < 2:
        sys.exit(f"{tool}: {results} has a single value of '{x_key}' "
                 f"({frame[column_for(x_key)].iloc[0]}); nothing to plot against")
    return frame, metric


def plot(frame, x_key, line_key, metric, title, stem, log_y=False, x_label=None):
    x_col = column_for(x_key)
    numeric = frame[x_col].dtype.kind in "if"
    # Categorical axes keep the order of first appearance (the sweep's order).
    categories = list(dict.fromkeys(frame[x_col].astype(str)))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    groups = frame.groupby(column_for(line_key)) if line_key else [(None, frame)]
    for value, group in groups:
        if numeric:
            group = group.sort_values(x_col)
            xs = group[x_col]
        else:
            group = group.assign(_pos=group[x_col].astype(str).map(categories.index)).sort_values("_pos")
            xs = group["_pos"]
        label = f"{line_key.split('.')[-1]}={value}" if line_key else None
        ax.plot(xs, group[metric], marker="o", label=label)
    if not numeric:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories, rotation=20)
    ax.set_xlabel(x_label or x_key)
    ax.set_ylabel(metric.replace("_", " "))
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if line_key:
        ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(stem) or ".", exist_ok=True)
    for ext in ("png", "pdf"):
        fig.savefig(f"{stem}.{ext}", dpi=150)
    plt.close(fig)
    return f"{stem}.png"


def main(argv=None, defaults=None, tool="ablation"):
    defaults = defaults or {}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("-o", "--out-dir", default="figures")
    parser.add_argument("--x", default=defaults.get("x"), required="x" not in defaults, help="swept key on the x axis")
    parser.add_argument("--lines", default=defaults.get("lines"), help="key with one line per value")
    parser.add_argument("--metric")
    parser.add_argument("--log-y", action="store_true", help="logarithmic metric axis")
    args = parser.parse_args(argv)

    frame, metric = load(args.results, args.x, args.lines, args.metric, tool)
    name = os.path.splitext(os.path.basename(args.results))[0]
    suffix = defaults.get("suffix", args.x.split(".")[-1])
    stem = os.path.join(args.out_dir, f"{name}_{suffix}")
    print(plot(frame, args.x, args.lines, metric, name, stem, args.log_y, defaults.get("x_label")))


if __name__ == "__main__":
    main()
