#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each one for a time budget.
#   scripts/fuzz.sh [--seconds N] [--jobs J] [target ...]     (default: 60 s, every target)
# The working corpus (build-fuzz/corpus/<target>) starts from fuzz/corpus/<target> plus every
# YAML file under configs/ and grows across runs; crashes go to build-fuzz/artifacts/.
# Exit status is non-zero when a target finds a crash: turn each one into a regression test
# in tests/config/ (the crashing input is printed by libFuzzer).
set -euo pipefail

seconds=60
jobs=1
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    --jobs=*) jobs="${1#*=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then targets=(config_fuzzer safetensors_fuzzer); fi

root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build-fuzz"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DWQ_BUILD_FUZZERS=ON -DWQ_BUILD_TESTS=OFF \
  -DWQ_BUILD_BENCHMARKS=OFF -DWQ_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
ninja -C "$build" "${targets[@]}"

status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus" "$build/artifacts"
  if [[ -d "$root/fuzz/corpus/$target" ]]; then cp -n "$root/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true; fi
  if [[ "$target" == config_fuzzer && -d "$root/configs" ]]; then
    # Seed files are named by path so that configs with the same base name do not collide.
    while IFS= read -r -d '' file; do
      cp -n "$file" "$corpus/configs_$(echo "${file#"$root"/configs/}" | tr '/' '_')"
    done < <(find "$root/configs" -name '*.yaml' -print0)
  fi
  echo "== $target: ${seconds}s, corpus $(ls "$corpus" | wc -l) files"
  # -timeout: one input taking 10 s is a bug (every limit of the loader is far below that).
  # -jobs N (N > 1) runs N fuzzers in parallel, each logging to fuzz-<i>.log in the current
  # directory: run from build-fuzz/ so that those logs never land in the source tree.
  parallel=()
  if [[ "$jobs" -gt 1 ]]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  if ! (cd "$build" && "$build/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=8192 -print_final_stats=1 "${parallel[@]}" -artifact_prefix="$build/artifacts/$target-"); then
    echo "== $target: FAILED (see $build/artifacts/)" >&2
    status=1
  fi
done
exit $status
