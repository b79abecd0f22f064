#!/usr/bin/env bash
# Builds (standalone nvcc + LibTorch from the installed PyTorch; no other project dependency)
# and runs the GPU benchmark: SDPA fp16 vs compressed-cache kernels at Qwen2-7B layer shapes.
# Prints one table; writes bench_gpu.json / bench_gpu.csv under $OUT (default ./bench_out).
# Usage (on the GPU machine, repository root): scripts/bench_gpu.sh
# (WQ_BENCH_QUICK=1: the two target shapes only; WQ_BENCH_PROBE=1: the batch-1 fixed-cost probe
# instead of the table, see docs/kernels.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-$PWD/bench_out}"
mkdir -p "$OUT"
source scripts/gpu_kernel_suite.sh --source-only
build_kernel_objects
torch_dir="$(python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')"
abi="$(python3 -c 'import torch;print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')"
if [ ! -x "$WQ_GPU_BUILD/bench_gpu" ] || [ -n "$(find kernels benchmarks/bench_gpu.cpp -newer "$WQ_GPU_BUILD/bench_gpu" -type f | head -1)" ]; then
  echo "[bench_gpu] compiling against LibTorch in $torch_dir"
  g++ -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" -I. -I/usr/local/cuda/include \
    -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" \
    -c benchmarks/bench_gpu.cpp -o "$WQ_GPU_BUILD/bench_gpu.o" &
  g++ -std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" -I. -I/usr/local/cuda/include \
    -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" \
    -c kernels/cuda/torch/torch_binding.cpp -o "$WQ_GPU_BUILD/torch_binding.o"
  wait $!
  g++ -o "$WQ_GPU_BUILD/bench_gpu" "$WQ_GPU_BUILD/bench_gpu.o" "$WQ_GPU_BUILD/torch_binding.o" $(kernel_objects) \
    -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" -ltorch -ltorch_cpu -ltorch_cuda -lc10 -lc10_cuda \
    -L/usr/local/cuda/lib64 -Wl,-rpath,/usr/local/cuda/lib64 -lcudart
fi
"$WQ_GPU_BUILD/bench_gpu" 2>&1 | tee "$OUT/bench_gpu.log"
