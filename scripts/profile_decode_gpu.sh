#!/usr/bin/env bash
# Nsight Compute counters of the decode attention kernel at the two target shapes (batch 1 /
# 128k tokens, batch 8 / 32k): DRAM bytes actually read against the bytes the benchmark counts,
# issue-slot use, warps per scheduler, instructions. Says whether a launch is held back by
# memory traffic, by instruction issue, or by latency (docs/kernels.md, "Targets").
# Usage (GPU machine, repository root): scripts/profile_decode_gpu.sh [variant ...]
# (default: uniform_2b wq_2.0_reordered token_mixed_2.0; names as in scripts/bench_gpu.sh).
# ncu locks the clocks to base and flushes the caches before the profiled launch, so its
# durations are longer than the benchmark's; compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/bench_out}"
mkdir -p "$OUT"
command -v ncu > /dev/null || { echo "profile_decode_gpu.sh: ncu (Nsight Compute) not on PATH" >&2; exit 1; }
source scripts/gpu_kernel_suite.sh --source-only
# The profiled benchmark runs write their tables under $OUT/profile_bench, not over a full
# run's bench_gpu.csv/json in $OUT.
OUT="$OUT/profile_bench" WQ_BENCH_QUICK=1 WQ_BENCH_ONLY=uniform_2b bash scripts/bench_gpu.sh > "$OUT/profile_build.log" 2>&1 ||
  { tail -20 "$OUT/profile_build.log" >&2; exit 1; }
metrics=gpu__time_duration.sum,sm__cycles_elapsed.avg.per_second,dram__bytes_read.sum
metrics+=,dram__throughput.avg.pct_of_peak_sustained_elapsed,sm__inst_executed.sum
metrics+=,smsp__issue_active.avg.pct_of_peak_sustained_active,smsp__warps_active.avg.per_cycle_active
metrics+=,smsp__warps_eligible.avg.per_cycle_active,launch__grid_size,launch__registers_per_thread
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(uniform_2b wq_2.0_reordered token_mixed_2.0)
report="$OUT/profile_decode.txt"
: > "$report"
for var in "${variants[@]}"; do
  # With one variant the decode launches are 3 warm-ups + 40 timed per shape, in shape order
  # (1/128k, then 8/32k): the third warm-up of each.
  for shape in "1 131072 2" "8 32768 45"; do
    read -r batch tokens skip <<< "$shape"
    log="$OUT/ncu_${var}_${batch}x${tokens}.txt"
    OUT="$OUT/profile_bench" WQ_BENCH_QUICK=1 WQ_BENCH_ONLY="$var" ncu --metrics "$metrics" --kernel-name regex:attention_decode_kernel \
      --launch-skip "$skip" --launch-count 1 "$WQ_GPU_BUILD/bench_gpu" > "$log" 2>&1 ||
      { tail -20 "$log" >&2; exit 1; }
    grep -q "dram__bytes_read" "$log" || { echo "profile_decode_gpu.sh: no kernel profiled for $var ($log)" >&2; exit 1; }
    # ncu scales units per value (Kbyte … Gbyte, nsecond … msecond): back to MB, µs, GHz.
    awk -v v="$var" -v b="$batch" -v t="$tokens" '
      $1 == v && $2 == b && $3 == t { counted = $5 }  # the benchmark row: MB it counts as read
      /^ +[a-z_]+__[a-z_.]+ / {
        val = $NF; gsub(",", "", val); unit = NF == 3 ? $2 : ""
        f = 1
        if (unit == "byte") f = 1e-6; else if (unit == "Kbyte") f = 1e-3; else if (unit == "Gbyte") f = 1e3
        else if (unit == "nsecond" || unit == "ns") f = 1e-3; else if (unit == "msecond" || unit == "ms") f = 1e3
        else if (unit == "hz") f = 1e-9; else if (unit == "Khz") f = 1e-6; else if (unit == "Mhz") f = 1e-3
        m[$1] = val * f
      }
      END {
        printf "%-18s %d/%-6d %8.1f us @ %.2f GHz  DRAM read %7.2f MB (counted %s MB)  DRAM %5.1f %% of peak  ",
          v, b, t, m["gpu__time_duration.sum"], m["sm__cycles_elapsed.avg.per_second"],
          m["dram__bytes_read.sum"], counted, m["dram__throughput.avg.pct_of_peak_sustained_elapsed"]
        printf "issue %5.1f %%  warps/scheduler %.2f active %.2f eligible  %.2f M warp instr  grid %d  regs %d\n",
          m["smsp__issue_active.avg.pct_of_peak_sustained_active"], m["smsp__warps_active.avg.per_cycle_active"],
          m["smsp__warps_eligible.avg.per_cycle_active"], m["sm__inst_executed.sum"] / 1e6,
          m["launch__grid_size"], m["launch__registers_per_thread"]
      }' "$log" | tee -a "$report"
  done
done
