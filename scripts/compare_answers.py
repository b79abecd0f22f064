#!/usr/bin/env python3
"""Compares the generated answers of two results files run by run (runs matched by name,
samples by sample_id): how many answers are identical, per run and overall. Used to check
that cache.mode packed answers what simulate answers (scripts/gpu_models.sh --with-simulate).

    compare_answers.py simulate.h5 packed.h5 [--min-agreement 0.99]

Exit status 1 when the overall agreement is below --min-agreement, when a run of one file
is missing or incomplete in the other, or when their sample ids differ.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wq_results  # noqa: E402


def answers_by_run(path):
    """{run name: (status, {sample_id: generated})}."""
    result = {}
    for _, run in wq_results.runs(path, config=False).iterrows():
        frame = wq_results.run_samples(path, run["run_id"])
        answers = dict(zip(frame["sample_id"], frame["generated"])) if not frame.empty else {}
        result[run["name"]] = (run["status"], answers)
    return result


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference")
    parser.add_argument("candidate")
    parser.add_argument("--min-agreement", type=float, default=0.99)
    args = parser.parse_args(argv)
    reference, candidate = answers_by_run(args.reference), answers_by_run(args.candidate)
    problems, same_total, count_total = [], 0, 0
    print(f"{'run':<24} {'same':>6} {'of':>6} {'agreement':>10}")
    for name, (status, ref) in reference.items():
        if name not in candidate:
            problems.append(f"{name}: not in {args.candidate}")
            continue
        other_status, cand = candidate[name]
        if status != "complete" or other_status != "complete":
            problems.append(f"{name}: status {status} / {other_status}")
        if set(ref) != set(cand):
            problems.append(f"{name}: the two files answered different samples")
            continue
        same = sum(ref[s] == cand[s] for s in ref)
        same_total, count_total = same_total + same, count_total + len(ref)
        print(f"{name:<24} {same:>6} {len(ref):>6} {same / max(len(ref), 1):>10.4f}")
    agreement = same_total / count_total if count_total else 0.0
    print(f"{'all runs':<24} {same_total:>6} {count_total:>6} {agreement:>10.4f}")
    for problem in problems:
        print("compare_answers.py:", problem, file=sys.stderr)
    if agreement < args.min_agreement:
        print(f"compare_answers.py: agreement {agreement:.4f} is below {args.min_agreement}", file=sys.stderr)
    return 1 if problems or agreement < args.min_agreement else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
