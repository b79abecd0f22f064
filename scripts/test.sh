#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds everything, fetches the
# test assets that are not committed, runs the whole CTest suite, then a short fuzz budget.
#   WQ_FUZZ_SECONDS   seconds per fuzz target (default 20; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '\033[1m[test]\033[0m %s\n' "$*" >&2; }
# slurm-wlm + munge: the scale-out test runs a real Slurm array on localhost.
# clang + its runtime (libFuzzer): scripts/fuzz.sh. Debian 12 names it libclang-rt-14-dev.
test_packages="slurm-wlm munge clang"
for runtime in libclang-rt-14-dev libclang-rt-dev; do
  if apt-cache show "$runtime" >/dev/null 2>&1; then test_packages+=" $runtime"; break; fi
done
WQ_EXTRA_PACKAGES="$test_packages ${WQ_EXTRA_PACKAGES:-}" ./scripts/setup.sh
build_dir="${WQ_BUILD_DIR:-build}"
if [[ -x scripts/fetch_test_assets.sh ]]; then
  say "fetching test assets"
  ./scripts/fetch_test_assets.sh
fi
say "running the test suite"
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" --timeout 600
fuzz_seconds="${WQ_FUZZ_SECONDS:-20}"
if [[ "$fuzz_seconds" != 0 && -x scripts/fuzz.sh ]]; then
  say "fuzzing each target for ${fuzz_seconds}s"
  ./scripts/fuzz.sh --seconds "$fuzz_seconds"
fi
say "all tests passed"
