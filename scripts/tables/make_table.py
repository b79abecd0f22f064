#!/usr/bin/env python3
"""Paper-style table from a results file: one row per run (FP16 first, then one block per
method, its runs in natural name order: 16 frames before 128, budget 1.5 before 3.0), the
effective-bits column, then the chosen metrics; the best value of each metric column in bold
(Markdown **x**, LaTeX \\textbf{x}).

    make_table.py results/quickstart.h5 [--metrics attn_out_rel_err attn_kl] [--format latex]

Metric direction: names ending in err/kl/_ms/bytes/failed and t_* timings are lower-is-better,
others higher.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_results  # noqa: E402

DEFAULT_METRICS = {
    "accuracy": ["accuracy", "samples_failed"],
    "kv_fidelity": ["attn_out_rel_err", "attn_kl", "k_rel_err", "v_rel_err"],
    "search_cost": None,  # every t_search_ms/<N> column
}


def lower_is_better(metric):
    """Errors, divergences, bytes, timings (t_search_ms/1024, t_quant_ms_mean) and failed
    counts; not a per-task accuracy whose task name happens to contain "t_"
    (accuracy/attribute_at_event)."""
    return metric.endswith(("err", "kl", "_ms", "bytes", "_ms_mean", "failed")) or metric.startswith("t_")


def choose_metrics(frame, requested):
    if requested:
        missing = [m for m in requested if m not in frame.columns]
        if missing:
            sys.exit(f"make_table: metric(s) {missing} not in the results; present: "
                     f"{sorted(c for c in frame.columns if not c.startswith('config.'))}")
        return requested
    experiment = frame["experiment"].iloc[0]
    defaults = DEFAULT_METRICS.get(experiment)
    if defaults is None:
        # Numeric order of the token counts (1024 before 4096 before 16384).
        return sorted((c for c in frame.columns if c.startswith("t_search_ms/")),
                      key=lambda c: int(c.split("/")[1]) if c.split("/")[1].isdigit() else 0)
    present = [m for m in defaults if m in frame.columns]
    if not present:
        sys.exit(f"make_table: the runs of experiment '{experiment}' have none of {defaults}")
    return present


def natural_key(name):
    """Run names with their numbers compared as numbers: num_frames=16 before num_frames=128,
    windowquant-1.5 before windowquant-3.0."""
    return tuple((0, float(part), "") if re.fullmatch(r"\d+(\.\d+)?", part) else (1, 0.0, part)
                 for part in re.split(r"(\d+(?:\.\d+)?)", name) if part)


def order_rows(frame):
    """FP16 first, then one block per method, its runs in natural name order."""
    fp16_first = (frame["method"] != "fp16").astype(int)
    return frame.assign(_fp16=fp16_first, _name=frame["run"].map(natural_key)).sort_values(
        ["_fp16", "method", "_name"])


def render(frame, metrics, fmt):
    columns = ["run", "method"] + (["bits_effective"] if "bits_effective" in frame.columns else []) + metrics
    best = {}
    for m in metrics:
        values = frame[m].dropna()
        if len(values):
            best[m] = values.min() if lower_is_better(m) else values.max()

    def cell(row, column):
        value = row[column]
        if column in ("run", "method"):
            return str(value)
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        if column in best and value == best[column]:
            return f"**{text}**" if fmt == "markdown" else f"\\textbf{{{text}}}"
        return text

    header = ["run", "method", "eff. bits"][: 2 + ("bits_effective" in frame.columns)] + metrics
    lines = []
    if fmt == "markdown":
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" for _ in header) + "|")
        for _, row in frame.iterrows():
            lines.append("| " + " | ".join(cell(row, c) for c in columns) + " |")
    else:
        escape = lambda s: s.replace("_", "\\_").replace("%", "\\%")
        lines.append("\\begin{tabular}{ll" + "r" * (len(header) - 2) + "}")
        lines.append("\\toprule")
        lines.append(" & ".join(escape(h) for h in header) + " \\\\")
        lines.append("\\midrule")
        for _, row in frame.iterrows():
            lines.append(" & ".join(escape(cell(row, c)) if c in ("run", "method") else cell(row, c)
                                    for c in columns) + " \\\\")
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}")
    return "\n".join(lines)


def skipped_note(path, fmt):
    """Runs recorded as skipped (a budget below the method's floor), listed under the table with
    their reason, so a missing row is never mistaken for a run that was not configured."""
    skipped = wq_results.runs(path, status="skipped", config=False)
    if skipped.empty:
        return ""
    comment = "%" if fmt == "latex" else ""
    lines = ["", "", f"{comment}Skipped, not run:"]
    for _, run in skipped.iterrows():
        lines.append(f"{comment}- {run['name']}: {run.get('error', '')}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("--metrics", nargs="*")
    parser.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    parser.add_argument("-o", "--output", help="write the table here instead of stdout")
    args = parser.parse_args()
    frame = wq_results.runs(args.results, status="complete")
    if frame.empty:
        sys.exit(f"make_table: {args.results} has no complete runs")
    frame = frame.rename(columns={"name": "run"})
    metrics = choose_metrics(frame, args.metrics)
    text = render(order_rows(frame), metrics, args.format) + skipped_note(args.results, args.format)
    if args.output:
        with open(args.output, "w") as out:
            out.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
