#!/usr/bin/env python3
"""Search-cost plot: time to decide bit-widths against the number of visual tokens, log-log,
one line per run (method variant), from search_cost runs (PNG and PDF).

    search_cost.py results/search_cost.h5 -o figures/

Reads each run's t_search_ms/<tokens> metrics (the median of the timed plan() calls).
Writes <stem>_search_cost.png/.pdf and prints the PNG path.
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

PREFIX = "t_search_ms/"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    figures.add_common_arguments(parser)
    args = parser.parse_args()

    every = wq_results.runs(args.results, config=False)
    frame = every[every["status"] == "complete"].reset_index(drop=True) if not every.empty else every
    if frame.empty:
        sys.exit(f"search_cost: {args.results} has no complete runs")
    columns = sorted((c for c in frame.columns if c.startswith(PREFIX)), key=lambda c: int(c[len(PREFIX):]))
    if not columns:
        kinds = sorted(set(frame["experiment"]))
        sys.exit(f"search_cost: {args.results} has no {PREFIX}<tokens> metrics (experiment(s) {kinds}); "
                 "it needs runs of the search_cost experiment (configs/paper/search_cost.yaml)")
    tokens = [int(c[len(PREFIX):]) for c in columns]

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for _, run in frame.sort_values("name").iterrows():
        points = [(t, run[c]) for t, c in zip(tokens, columns) if run[c] == run[c]]  # skip NaN
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=run["name"])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("visual tokens")
    ax.set_ylabel("bit-width search time (ms, median)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(figures.title(args.results, frame, "bit-width search time vs visual tokens"), fontsize=10)
    notes = figures.left_out_notes(figures.left_out(every))
    fig.tight_layout(rect=(0, figures.footnote(fig, notes), 1, 1))
    paths = figures.save(fig, figures.output_stem(args.out_dir, args.results, "search_cost"))
    if args.describe:
        figures.describe(fig, args.describe, "search_cost", paths, notes=notes)
    plt.close(fig)
    figures.report(paths, notes)


if __name__ == "__main__":
    main()
