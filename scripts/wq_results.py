"""Reader for WindowQuant results files (layout: docs/results-schema.md).

Plot and table scripts import it instead of walking the HDF5 file themselves:

    import wq_results
    runs = wq_results.runs("results/mvbench_main.h5")        # one row per run
    samples = wq_results.samples("results/mvbench_main.h5")  # one row per sample, all runs

Needs h5py and pandas (Debian: python3-h5py, python3-pandas). Attributes this module does
not know are passed through, as the schema asks of readers.
"""
import sys

if __name__ == "__main__":
    import wq_python  # this folder is first on sys.path when run as a script

    wq_python.require("h5py", "numpy", "pandas")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# Run-group attributes that describe the run (the rest of its data is in subgroups).
RUN_ATTRIBUTES = ("name", "method", "experiment", "status", "error", "started_at", "finished_at")


def _text(value):
    """h5py gives str for string attributes but bytes inside compound datasets."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [_text(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _numeric_if_possible(column):
    # Config values are stored as text; bit-widths and window sizes plot better as numbers.
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def provenance(path):
    """Root attributes as a dict (argv as a list of str)."""
    with h5py.File(path, "r") as f:
        result = {key: _text(value) for key, value in f.attrs.items()}
    if isinstance(result.get("argv"), h5py.Empty):
        result["argv"] = []
    return result


def runs(path, status=None, config=True):
    """One row per run: run_id, the run attributes, every metric, and (with config=True)
    each flattened config key as a column named "config.<key>". `status` keeps only runs
    with that status ("complete", "partial", "skipped", "failed" or "running")."""
    rows = []
    with h5py.File(path, "r") as f:
        for run_id, run in f["runs"].items():
            row = {"run_id": run_id}
            row.update({key: _text(run.attrs[key]) for key in RUN_ATTRIBUTES if key in run.attrs})
            if "metrics" in run:
                row.update({key: _text(value) for key, value in run["metrics"].attrs.items()})
            if config and "config" in run:
                row.update({"config." + key: _text(value)
                            for key, value in run["config"].attrs.items()})
            rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column.startswith("config."):
            frame[column] = _numeric_if_possible(frame[column])
    if status is not None and not frame.empty:
        frame = frame[frame["status"] == status].reset_index(drop=True)
    return frame


def run_samples(path, run_id):
    """The samples table of one run (strings decoded); empty if the run has none."""
    with h5py.File(path, "r") as f:
        run = f["runs"][run_id]
        if "samples" not in run:
            return pd.DataFrame()
        data = run["samples"][()]
    frame = pd.DataFrame(data)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(_text)
    return frame


def samples(path, run_ids=None):
    """Samples of several runs (all by default) stacked, with run_id, name and method first."""
    table = runs(path, config=False)
    frames = []
    for _, run in table.iterrows():
        if run_ids is not None and run["run_id"] not in run_ids:
            continue
        frame = run_samples(path, run["run_id"])
        if frame.empty:
            continue
        frame.insert(0, "method", run.get("method"))
        frame.insert(0, "name", run.get("name"))
        frame.insert(0, "run_id", run["run_id"])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def arrays(path, run_id):
    """The float64 arrays of one run as {name: numpy array}."""
    with h5py.File(path, "r") as f:
        run = f["runs"][run_id]
        if "arrays" not in run:
            return {}
        return {name: dataset[()] for name, dataset in run["arrays"].items()}


def main(argv):
    if len(argv) != 2:
        print("usage: wq_results.py RESULTS.h5", file=sys.stderr)
        return 2
    info = provenance(argv[1])
    print("sweep", info.get("sweep_name"), "commit", info.get("git_commit"))
    table = runs(argv[1], config=False)
    columns = [c for c in ("name", "method", "status", "accuracy", "bits_effective", "kv_bytes")
               if c in table.columns]
    print(table[columns].to_string(index=False) if columns else "(no runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
