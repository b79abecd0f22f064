#!/usr/bin/env bash
# One device call: build the CUDA kernels standalone (nvcc, sm_90a), run the GPU correctness
# suite (pack bit-identity vs core/quant, attention vs the CPU reference), then the benchmark
# (scripts/bench_gpu.sh). Needs only nvcc and the installed PyTorch (for SDPA in the bench).
# Usage (GPU machine, repository root): scripts/gpu_kernel_suite.sh [pack|attention]
# (WQ_SKIP_BENCH=1 skips the benchmark)
WQ_GPU_BUILD="${WQ_GPU_BUILD:-build-gpu-kernels}"
WQ_NVCC_FLAGS="-std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. -Xcompiler -fPIC -cudart shared"

kernel_sources() {
  ls kernels/cuda/*.cu kernels/cpu/view_dequant.cpp kernels/cpu/reference_attention.cpp kernels/cpu/half.cpp core/quant/*.cpp \
    core/cache/*.cpp
}
kernel_objects() {
  for s in $(kernel_sources); do echo "$WQ_GPU_BUILD/obj/$(echo "$s" | tr / _).o"; done
}
# Parallel, incremental compile of the framework-free kernel sources (+ core/quant, the CPU
# twin the pack kernels must match bit for bit).
build_kernel_objects() {
  mkdir -p "$WQ_GPU_BUILD/obj"
  local pids=() s o
  for s in $(kernel_sources); do
    o="$WQ_GPU_BUILD/obj/$(echo "$s" | tr / _).o"
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find kernels/cuda kernels/*.h -newer "$o" -name '*.cuh' -o -newer "$o" -name '*.h' 2>/dev/null | head -1)" ]; then
      /usr/local/cuda/bin/nvcc $WQ_NVCC_FLAGS -c "$s" -o "$o" &
      pids+=($!)
    fi
  done
  local fail=0
  for p in "${pids[@]}"; do wait "$p" || fail=1; done
  [ "$fail" = 0 ] || { echo "kernel compile failed" >&2; return 1; }
}

[ "${1:-}" = "--source-only" ] && return 0 2>/dev/null

set -uo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/bench_out}"
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv 2>&1 | tee "$OUT/gpu_info.txt"
t0=$(date +%s)
build_kernel_objects || exit 1
/usr/local/cuda/bin/nvcc $WQ_NVCC_FLAGS tests/kernels_gpu/gpu_kernel_tests.cu $(kernel_objects) \
  -o "$WQ_GPU_BUILD/gpu_kernel_tests" || exit 1
echo "[suite] build: $(( $(date +%s) - t0 )) s"
cuobjdump --dump-resource-usage "$WQ_GPU_BUILD/obj/kernels_cuda_attention.cu.o" 2>/dev/null | grep -E "Function|REG" | paste - - | sed -E 's/.*attention_split_kernelILi([0-9]+)ELi([0-9])EL([a-z]).*REG:([0-9]+) STACK:([0-9]+) SHARED:([0-9]+).*/split_kernel D=\1 NT=\2 fast=\3 REG=\4 STACK=\5 SHARED=\6/' | sed -E 's/.*attention_decode_kernelILi([0-9]+)ELb([01])E.*REG:([0-9]+) STACK:([0-9]+) SHARED:([0-9]+).*/decode_kernel D=\1 interleaved=\2 REG=\3 STACK=\4 SHARED=\5/' | grep -E "^(split|decode)_kernel" | tee "$OUT/resource_usage.txt"
"$WQ_GPU_BUILD/gpu_kernel_tests" "${1:-}" 2>&1 | tee "$OUT/gpu_kernel_tests.log"
suite_rc=${PIPESTATUS[0]}
echo "[suite] correctness exit code $suite_rc"
bench_rc=0
if [ -z "${WQ_SKIP_BENCH:-}" ]; then  # WQ_SKIP_BENCH=1: correctness only
  bash scripts/bench_gpu.sh
  bench_rc=$?
fi
grep -E "^(FAIL|GPU kernel suite)" "$OUT/gpu_kernel_tests.log"
echo "[suite] correctness rc=$suite_rc bench rc=$bench_rc"
exit $(( suite_rc != 0 || bench_rc != 0 ))
