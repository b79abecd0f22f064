"""Where the plot scripts put a figure: <out_dir>/<results file stem>_<suffix>.png and .pdf."""
import os


def save(fig, out_dir, results, suffix):
    """Writes the PNG and the PDF and returns the PNG's path."""
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, os.path.splitext(os.path.basename(results))[0] + "_" + suffix)
    for ext in ("png", "pdf"):
        fig.savefig(f"{stem}.{ext}", dpi=150)
    return f"{stem}.png"
