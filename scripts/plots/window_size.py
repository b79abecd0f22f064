#!/usr/bin/env python3
"""Window-size ablation plot: a metric against WindowQuant's window size, one line per
budget (PNG and PDF). Reads configs/ablations/window_size.yaml's results.

    window_size.py results/ablation_window_size.h5 -o figures/ [--metric attn_kl] [--log-y]

Same options as ablation.py, with --x method.window_size --lines method.budget_bits preset;
writes <stem>_window_size_by_budget_bits_<metric>.png/.pdf.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import wq_python  # noqa: E402

wq_python.require("h5py", "pandas", "matplotlib")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ablation  # noqa: E402

if __name__ == "__main__":
    ablation.main(defaults={"x": "method.window_size", "lines": "method.budget_bits",
                            "x_label": "window size (frames per window)"},
                  tool="window_size")
