#!/usr/bin/env bash
# The main job of the README: installs what is missing, builds, and runs the quickstart
# config (or the config given), then prints the table and draws the plot of its results.
#   usage: scripts/quickstart.sh [CONFIG] [key=value ...]
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[quickstart]\033[0m %s\n' "$*" >&2; }
./scripts/setup.sh
build_dir="${WQ_BUILD_DIR:-build}"
config="${1:-configs/quickstart.yaml}"; shift || true
# --resume: a second quickstart (or one after an interruption) reuses finished runs.
output="$("$build_dir/wq" run "$config" "$@" --resume --print-output)"
say "results: $output"
"$build_dir/wq" show "$output"
source scripts/find_python.sh
if [[ -f scripts/report.py ]]; then
  "$WQ_PYTHON" scripts/report.py "$output"
fi
