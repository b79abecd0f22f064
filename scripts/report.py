#!/usr/bin/env python3
"""The quickstart's ending: the Markdown table and the Pareto plot of one results file.

    report.py results/quickstart.h5 [--out-dir figures]
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("results")
    parser.add_argument("--out-dir", default=None, help="default: beside the results file")
    args = parser.parse_args()
    out_dir = args.out_dir or os.path.dirname(os.path.abspath(args.results))
    stem = os.path.splitext(os.path.abspath(args.results))[0]
    table = stem + "_table.md"
    subprocess.run([sys.executable, os.path.join(HERE, "tables", "make_table.py"), args.results,
                    "-o", table], check=True)
    with open(table) as f:
        print(f.read())
    plot = subprocess.run([sys.executable, os.path.join(HERE, "plots", "pareto.py"), args.results,
                           "-o", out_dir, "--log-y"], check=True, capture_output=True, text=True)
    print(f"table: {table}\nplot:  {plot.stdout.strip()}")


if __name__ == "__main__":
    main()
