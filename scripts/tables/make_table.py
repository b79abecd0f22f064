#!/usr/bin/env python3
"""Paper-style table from a results file: one row per run (FP16 first, then one block per
method, its runs in natural name order: 16 frames before 128, budget 1.5 before 3.0), the
requested budget (a method's `budget_bits`; "-" for a method of fixed widths) beside the
achieved effective bits, then the chosen metrics (accuracy runs: overall, per task family,
failed samples); the best value of each metric column in bold (Markdown **x**, LaTeX
\\textbf{x}).

    make_table.py results/quickstart.h5 [--metrics attn_out_rel_err attn_kl] [--format latex]

Which value is best follows the metric's direction, from DIRECTION_RULES below (higher:
accuracies; lower: errors, divergences, timings, bytes, failed samples, effective bits; none:
findings such as rank correlations, never bolded). The FP16 rows are the reference, not
contenders: the best is taken over the other rows (over all rows when there are no others).
A column whose compared values all tie (every samples_failed 0) bolds nothing. Skipped and
failed runs are listed under the table.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_python  # noqa: E402

wq_python.require("h5py", "pandas")

import pandas as pd  # noqa: E402

import wq_results  # noqa: E402

HIGHER, LOWER = "higher", "lower"
REFERENCE_METHOD = "fp16"

# Which way is better, by metric name: the first rule whose pattern matches the whole name
# decides; a name no rule matches has no direction, and its column is never bolded.
DIRECTION_RULES = [
    # pattern                                   direction  covers
    (r"accuracy(_[a-z_]+)?(/.+)?",              HIGHER,    "accuracy, accuracy/<task> (attribute_at_event too), "
                                                           "accuracy_answered, accuracy_task_mean, accuracy_fp"),
    (r"samples_failed",                         LOWER,     "samples that could not be evaluated"),
    (r"t_.+",                                   LOWER,     "timings: t_search_ms/<tokens>, t_quant_ms_mean, "
                                                           "t_decode_per_token_ms_median"),
    (r".+_ms(_mean|_median|_p90)?(/.+)?",       LOWER,     "any other time in milliseconds"),
    (r".*bytes(_fp16)?(_mean)?",                LOWER,     "memory: kv_bytes, kv_allocated_bytes, peak_memory_bytes, "
                                                           "peak_method_memory_bytes"),
    (r".*(_err|_kl)(_mean)?",                   LOWER,     "errors, divergences: attn_out_rel_err, k_rel_err, attn_kl"),
    (r"bits_(effective|nominal)(_mean)?",       LOWER,     "bits per element: a smaller cache"),
    (r"compression_ratio",                      HIGHER,    "fp16 bytes over compressed bytes"),
    (r"spearman_.+|damage_.+|evidence_recall_at_k|relevant_mass_.+|budget_floor_bits",
                                                None,      "findings and diagnostics, not targets"),
]


def direction(metric):
    """HIGHER, LOWER or None (no best) for a metric name, by the first matching rule."""
    for pattern, way, _ in DIRECTION_RULES:
        if re.fullmatch(pattern, metric):
            return way
    return None


def lower_is_better(metric):
    """True for the metrics DIRECTION_RULES makes lower-is-better."""
    return direction(metric) == LOWER


DEFAULT_METRICS = {
    "accuracy": ["accuracy", "samples_failed"],
    "kv_fidelity": ["attn_out_rel_err", "attn_kl", "k_rel_err", "v_rel_err"],
    "search_cost": None,  # every t_search_ms/<N> column
}


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
    if experiment == "accuracy":  # each task family after the overall accuracy
        families = sorted(c for c in frame.columns if c.startswith("accuracy/"))
        present = present[:1] + families + present[1:]
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


def contenders(frame):
    """Rows that compete for bold: all but the FP16 reference rows, unless those are all."""
    mask = frame["method"] != REFERENCE_METHOD
    return mask if mask.any() else ~mask


def best_value(frame, metric):
    """The value to bold in a metric's column, or None: no direction, not numeric, or every
    compared value equal (nothing stands out)."""
    way = direction(metric)
    values = pd.to_numeric(frame.loc[contenders(frame), metric], errors="coerce").dropna()
    if way is None or values.nunique() < 2:
        return None
    return values.min() if way == LOWER else values.max()


BUDGET = "config.method.budget_bits"


def render(frame, metrics, fmt):
    has_budget = BUDGET in frame.columns and frame[BUDGET].notna().any()
    has_bits = "bits_effective" in frame.columns
    columns = ["run", "method"] + ([BUDGET] if has_budget else []) + (["bits_effective"] if has_bits else []) + metrics
    best = {m: value for m in metrics if (value := best_value(frame, m)) is not None}
    competing = contenders(frame)

    def cell(row, column):
        value = row[column]
        if column in ("run", "method"):
            return str(value)
        if column == BUDGET and pd.isna(value):
            return "-"
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        if column in best and competing[row.name] and value == best[column]:
            return f"**{text}**" if fmt == "markdown" else f"\\textbf{{{text}}}"
        return text

    header = ["run", "method"] + (["budget"] if has_budget else []) + (["eff. bits"] if has_bits else []) + metrics
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


def left_out_note(path, fmt):
    """Runs recorded as skipped (a budget below the method's floor) or failed, listed under the
    table with their reason, so a missing row is never mistaken for a run that was not
    configured; partial runs (more failed samples than allowed) are in the table, marked, and
    listed here with how many samples failed."""
    comment = "%" if fmt == "latex" else ""
    lines = []
    for status, heading in (("partial", "Partial (rows marked *; failed samples count as wrong):"),
                            ("skipped", "Skipped, not run:"), ("failed", "Failed:")):
        runs = wq_results.runs(path, status=status, config=False)
        if runs.empty:
            continue
        lines += ["", "", f"{comment}{heading}"] if not lines else ["", f"{comment}{heading}"]
        for _, run in runs.iterrows():
            lines.append(f"{comment}- {run['name']}: {run.get('error', '')}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("--metrics", nargs="*")
    parser.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    parser.add_argument("-o", "--output", help="write the table here instead of stdout")
    args = parser.parse_args()
    frame = wq_results.runs(args.results)
    frame = frame[frame["status"].isin(["complete", "partial"])].copy()
    if frame.empty:
        sys.exit(f"make_table: {args.results} has no complete or partial runs")
    frame.loc[frame["status"] == "partial", "name"] += " *"
    frame = frame.rename(columns={"name": "run"})
    metrics = choose_metrics(frame, args.metrics)
    text = render(order_rows(frame), metrics, args.format) + left_out_note(args.results, args.format)
    if args.output:
        with open(args.output, "w") as out:
            out.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
