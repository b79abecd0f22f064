#!/usr/bin/env python3
"""Ablation plot: a metric against one swept config key, one series per value of another
(PNG and PDF). Numeric keys get a numeric axis and lines; others (similarity names, bit
lists, true/false) are categories, placed side by side in the order the sweep ran them and
drawn as unjoined markers (a line between two similarity functions would mean nothing).

    ablation.py results/ablation_residual.h5 --x method.residual --lines method.budget_bits -o figures/

Keys are config keys as in the YAML (method.window_size) or the results' config.* columns.
Default metric: attn_out_rel_err for kv_fidelity runs, accuracy for accuracy runs. Writes
<stem>_ablation_<x>[_by_<lines>]_<metric>.png/.pdf (..._logy with --log-y) and prints the PNG
path; skipped and failed runs are listed under the plot and on stderr.
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


def column_for(key):
    return key if key.startswith("config.") else "config." + key


def load(results, x_key, line_key, metric, tool):
    """All runs and the complete ones with the columns the plot needs, or exit saying what is
    missing."""
    every = wq_results.runs(results)
    frame = every[every["status"] == "complete"].reset_index(drop=True) if not every.empty else every
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
    values = frame[column_for(x_key)].dropna().unique()
    if len(values) < 2:
        sys.exit(f"{tool}: {results} has a single value of '{x_key}' "
                 f"({values[0] if len(values) else 'none set'}); nothing to plot against")
    return every, frame, metric


def plot(frame, x_key, line_key, metric, title, log_y=False, x_label=None):
    """The figure: numeric x as lines, categorical x as unjoined markers, each series nudged
    sideways so that equal values stay visible."""
    x_col = column_for(x_key)
    numeric = frame[x_col].dtype.kind in "if"
    # Categorical axes keep the order of first appearance (the sweep's order).
    categories = list(dict.fromkeys(frame[x_col].astype(str)))
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    groups = list(frame.groupby(column_for(line_key))) if line_key else [(None, frame)]
    for index, (value, group) in enumerate(groups):
        label = f"{line_key.split('.')[-1]}={value}" if line_key else None
        if numeric:
            group = group.sort_values(x_col)
            ax.plot(group[x_col], group[metric], marker="o", label=label)
            continue
        nudge = (index - (len(groups) - 1) / 2) * min(0.08, 0.5 / len(groups))
        positions = group[x_col].astype(str).map(categories.index) + nudge
        ax.plot(positions, group[metric], linestyle="none", marker=figures.MARKERS[index % len(figures.MARKERS)],
                markersize=7, label=label)
    if not numeric:
        figures.mark_categorical(ax, categories)
        ax.set_xlim(-0.5, len(categories) - 0.5)
    ax.set_xlabel(x_label or x_key)
    ax.set_ylabel(metric.replace("_", " "))
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    if line_key:
        ax.legend(fontsize=8)
    ax.set_title(title, fontsize=10)
    return fig, ax


def main(argv=None, defaults=None, tool="ablation"):
    defaults = defaults or {}
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    figures.add_common_arguments(parser)
    parser.add_argument("--x", default=defaults.get("x"), required="x" not in defaults, help="swept key on the x axis")
    parser.add_argument("--lines", default=defaults.get("lines"), help="key with one series per value")
    parser.add_argument("--metric")
    parser.add_argument("--log-y", action="store_true", help="logarithmic metric axis")
    args = parser.parse_args(argv)

    every, frame, metric = load(args.results, args.x, args.lines, args.metric, tool)
    drawn = frame.dropna(subset=[metric])
    notes = figures.left_out_notes(figures.left_out(every, (metric,)))
    x_name = args.x.split(".")[-1]
    title = figures.title(args.results, drawn, f"{metric} vs {args.x}")
    fig, ax = plot(drawn, args.x, args.lines, metric, title, args.log_y, defaults.get("x_label"))
    fig.tight_layout(rect=(0, figures.footnote(fig, notes), 1, 1))
    # window_size.py's x is in its name already.
    what = [x_name if x_name != tool else "", f"by_{args.lines.split('.')[-1]}" if args.lines else "", metric,
            "logy" if args.log_y else ""]
    paths = figures.save(fig, figures.output_stem(args.out_dir, args.results, tool, *what))
    if args.describe:
        figures.describe(fig, args.describe, tool, paths, metric=metric, notes=notes,
                         samples_per_run=figures.samples_per_run(args.results, drawn))
    plt.close(fig)
    figures.report(paths, notes)


if __name__ == "__main__":
    main()
