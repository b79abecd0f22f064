"""What every plot script shares: the figure's file name, its title, the runs it leaves out,
and a JSON description of what it drew (for tests and for a reader who wants the numbers).

File names: <out_dir>/<results stem>_<script>_<what>.png and .pdf, where <what> names
whatever else tells two figures of one script apart (the metric, the swept keys, a log
axis), so that no two figures overwrite each other.
"""
import json
import math
import os
import re
import sys
import textwrap

import wq_results

# Markers for series that must not be joined (categorical axes), cycled.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def file_part(text):
    """A piece of a file name: accuracy/needle -> accuracy-needle."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", str(text)).strip("-")


def output_stem(out_dir, results, script, *what):
    """<out_dir>/<results stem>_<script>[_<what>...] (no extension)."""
    stem = os.path.splitext(os.path.basename(results))[0]
    parts = [stem, script] + [file_part(w) for w in what if w]
    return os.path.join(out_dir, "_".join(parts))


def save(fig, stem):
    """Writes <stem>.png and <stem>.pdf and returns both paths (PNG first)."""
    os.makedirs(os.path.dirname(stem) or ".", exist_ok=True)
    paths = [f"{stem}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150)
    return paths


def sweep_name(results):
    """The sweep's name from the file's root attributes, else the file's stem."""
    name = wq_results.provenance(results).get("sweep_name")
    return name if isinstance(name, str) and name else os.path.splitext(os.path.basename(results))[0]


def samples_per_run(results, frame):
    """Distinct sample counts of the runs in `frame`: the samples_counted metric where the run
    has it (accuracy runs), else the distinct sample ids of its samples table."""
    counts = set()
    for _, run in frame.iterrows():
        counted = run.get("samples_counted")
        if counted is not None and counted == counted:
            counts.add(int(counted))
            continue
        table = wq_results.run_samples(results, run["run_id"])
        for column in ("sample_id", "sample"):
            if column in table.columns:
                counts.add(int(table[column].nunique()))
                break
    return sorted(counts)


def samples_text(counts):
    if not counts:
        return ""
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    return f"{n} sample{'s' if counts[-1] != 1 else ''} per run"


def title(results, frame, what):
    """'<sweep>: <what>' with the samples per run on a second line when the file says."""
    text = f"{sweep_name(results)}: {what}"
    counts = samples_text(samples_per_run(results, frame))
    return text + (f"\n{counts}" if counts else "")


def left_out(frame, needed=()):
    """Runs not drawn as points, as (name, why): those not complete (skipped with the reason,
    failed with the error) and complete ones without a value of a needed column."""
    rows = []
    for _, run in frame.iterrows():
        status = run.get("status")
        if status != "complete":
            error = run.get("error")
            reason = error if isinstance(error, str) and error else ""
            rows.append((run["name"], f"{status}: {reason}" if reason else str(status)))
            continue
        absent = [c for c in needed if c not in frame.columns or run[c] != run[c]]
        if absent:
            rows.append((run["name"], f"complete, no {', '.join(absent)}"))
    return rows


def footnote(fig, notes, limit=6):
    """Lists `notes` under the axes, wrapped to the figure's width (the first `limit`, then how
    many more); returns the fraction of the figure's height they take."""
    if not notes:
        return 0.0
    width = int(fig.get_figwidth() * 20)  # characters of 6 pt text across the figure
    shown = [line for note in notes[:limit] for line in textwrap.wrap(note, width, subsequent_indent="    ")]
    if len(notes) > limit:
        shown.append(f"... and {len(notes) - limit} more (all on stderr)")
    fig.text(0.01, 0.01, "\n".join(shown), fontsize=6, ha="left", va="bottom", color="0.3")
    return 0.02 + 0.1 * len(shown) / fig.get_figheight()


def left_out_notes(rows):
    return [f"not plotted: {name} ({why})" for name, why in rows]


def report(paths, notes):
    """Prints the PNG path first (callers and tests read the first line), then each note on
    stderr."""
    print(paths[0], flush=True)
    for note in notes:
        print(note, file=sys.stderr)
    sys.stderr.flush()


def mark_categorical(ax, categories):
    """Places `categories` at 0, 1, ... on the x axis and records that the axis is categorical."""
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(categories, rotation=20)
    ax.wq_categorical_x = True


def _number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def _line_style(line):
    style = line.get_linestyle()
    return "none" if style in ("None", "none", "", " ") else style


def describe(fig, path, script, outputs, **extra):
    """Writes a JSON description of the figure: per axes its scales, labels, whether x is
    categorical, each drawn series (points, line style, marker; `connected` when a line joins
    its points), each horizontal reference line (gid "reference") and each scatter's size."""
    axes = []
    for ax in fig.axes:
        series, references = [], []
        for line in ax.get_lines():
            if line.get_gid() == "reference":
                references.append({"label": line.get_label(), "y": _number(line.get_ydata()[0])})
                continue
            xs = [_number(x) for x in line.get_xdata()]
            ys = [_number(y) for y in line.get_ydata()]
            style = _line_style(line)
            series.append({"label": line.get_label(), "x": xs, "y": ys, "linestyle": style,
                           "marker": str(line.get_marker()), "connected": style != "none" and len(xs) > 1})
        scatters = [{"label": c.get_label(), "points": len(c.get_offsets())} for c in ax.collections]
        axes.append({
            "title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "xscale": ax.get_xscale(), "yscale": ax.get_yscale(),
            "x_categorical": bool(getattr(ax, "wq_categorical_x", False)),
            "xticklabels": [t.get_text() for t in ax.get_xticklabels()] if getattr(ax, "wq_categorical_x", False) else [],
            "series": series, "reference_lines": references, "scatters": scatters,
        })
    description = {"script": script, "outputs": outputs,
                   "suptitle": fig._suptitle.get_text() if fig._suptitle else "", "axes": axes}
    description.update(extra)
    with open(path, "w") as out:
        json.dump(description, out, indent=1)


def add_common_arguments(parser):
    parser.add_argument("-o", "--out-dir", default="figures")
    parser.add_argument("--describe", metavar="JSON", help="also write a JSON description of what was drawn")
