#!/usr/bin/env python3
"""Sensitivity scatter: each window's similarity score against the damage of pushing only
that window to low bits, evidence windows marked (PNG and PDF), one panel per run, with
the run's Spearman correlations in the title. Reads `sensitivity` runs of either source.

    sensitivity.py results/sensitivity.h5 -o figures/ [--log-y]

Writes <stem>_sensitivity.png/.pdf (..._logy with --log-y) and prints the PNG path.
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

NEEDED = ("similarity", "damage", "relevant")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    figures.add_common_arguments(parser)
    parser.add_argument("--log-y", action="store_true", help="logarithmic damage axis")
    args = parser.parse_args()

    every = wq_results.runs(args.results, config=False)
    runs = every[every["status"] == "complete"].reset_index(drop=True) if not every.empty else every
    if runs.empty or "experiment" not in runs or not (runs["experiment"] == "sensitivity").any():
        found = sorted(set(runs["experiment"])) if "experiment" in runs else []
        sys.exit(f"sensitivity: {args.results} has no complete sensitivity runs (experiments: {found})")
    runs = runs[runs["experiment"] == "sensitivity"].reset_index(drop=True)

    fig, axes = plt.subplots(1, len(runs), figsize=(5.2 * len(runs), 4.4), squeeze=False)
    for ax, (_, run) in zip(axes[0], runs.iterrows()):
        rows = wq_results.run_samples(args.results, run["run_id"])
        missing = [c for c in NEEDED if c not in rows.columns]
        if missing:
            sys.exit(f"sensitivity: run '{run['name']}' of {args.results} has no sample columns {missing} "
                     f"(columns: {sorted(rows.columns)})")
        if "window" in rows.columns:
            rows = rows[rows["window"] >= 0]  # failed samples have one row with window -1
        for relevant, colour, label in ((0, "tab:gray", "other windows"), (1, "tab:red", "evidence windows")):
            part = rows[rows["relevant"] == relevant]
            ax.scatter(part["similarity"], part["damage"], s=10, alpha=0.6, color=colour, label=label)
        rho_sim = run.get("spearman_similarity_damage", float("nan"))
        rho_rel = run.get("spearman_relevance_damage", float("nan"))
        ax.set_title(f"{run['name']}\nSpearman: similarity {rho_sim:.2f}, evidence {rho_rel:.2f}", fontsize=9)
        ax.set_xlabel("window similarity score")
        ax.set_ylabel("damage")
        if args.log_y:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(figures.title(args.results, runs, "window damage vs similarity"), fontsize=10)
    notes = figures.left_out_notes(figures.left_out(every))
    fig.tight_layout(rect=(0, figures.footnote(fig, notes), 1, 1))
    paths = figures.save(fig, figures.output_stem(args.out_dir, args.results, "sensitivity",
                                                  "logy" if args.log_y else ""))
    if args.describe:
        figures.describe(fig, args.describe, "sensitivity", paths, notes=notes)
    plt.close(fig)
    figures.report(paths, notes)


if __name__ == "__main__":
    main()
