// Final reduction of the split-sequence attention: merges the per-split (o, lse) partials.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/cuda/attention_kernel.cuh"

namespace wq::kernels::detail {

// One block per (sequence·kv_head, row): out = Σ_s w_s o_s / Σ_s w_s, w_s = 2^(lse_s − max).
// The weights are computed once into shared memory; each thread then sums its channel over the
// splits with several independent loads in flight (a plain sequential loop was latency-bound
// and cost tens of microseconds at ~100 splits). Grid (rows, D / 32): 32 channels x 16 slices
// of the splits per block, summed in shared memory (one block of 128 threads per row took 8 µs
// for 28 rows x 86 splits under ncu).
constexpr int kCombineThreads = 512;   // kCombineChannels channels x 16 slices of the splits
constexpr int kCombineChannels = 32;   // per block; grid.y = D / 32 (more blocks in flight)
constexpr int kMaxSplits = 2048;

template <int D>
__global__ void __launch_bounds__(kCombineThreads) attention_combine_kernel(const kernel_args args, void* out, float* lse_out) {
  __shared__ float weight[kMaxSplits];
  __shared__ float red[kCombineThreads / 32];
  const int64_t hr = blockIdx.x;  // (seq·kv_heads + kv_head)·rows + row
  const int row = static_cast<int>(hr % args.rows);
  const int seq_head = static_cast<int>(hr / args.rows);
  const int seq = seq_head / args.kv_heads, kv_head = seq_head % args.kv_heads;
  const float* lse = args.lse_part + hr * args.splits;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  wait_for_primary_grid();  // launched as a programmatic dependent of the attention kernel
  float mx = -INFINITY;
  for (int s = threadIdx.x; s < args.splits; s += kCombineThreads) mx = fmaxf(mx, lse[s]);
  for (int o = 16; o; o >>= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, o));
  if (lane == 0) red[warp] = mx;
  __syncthreads();
  mx = red[0];
  for (int w = 1; w < kCombineThreads / 32; ++w) mx = fmaxf(mx, red[w]);
  const float ms = mx == -INFINITY ? 0.f : mx;
  __syncthreads();
  float den = 0.f;
  for (int s = threadIdx.x; s < args.splits; s += kCombineThreads) {
    weight[s] = exp2f(lse[s] - ms);
    den += weight[s];
  }
  for (int o = 16; o; o >>= 1) den += __shfl_xor_sync(0xffffffffu, den, o);
  if (lane == 0) red[warp] = den;
  __syncthreads();
  den = 0.f;
  for (int w = 0; w < kCombineThreads / 32; ++w) den += red[w];
  const int group = args.q_heads / args.kv_heads;
  const int qt = row / group, head = kv_head * group + row % group;
  const int64_t obase = ((static_cast<int64_t>(seq) * args.q_tokens + qt) * args.q_heads + head) * D;
  const float* op = args.o_part + hr * args.splits * D;
  // blockIdx.y: which kCombineChannels channels; threads: those channels x kSlices slices of splits
  constexpr int kSlices = kCombineThreads / kCombineChannels;
  __shared__ float part[kSlices][kCombineChannels];
  {
    const int ch = blockIdx.y * kCombineChannels + threadIdx.x % kCombineChannels;
    const int slice = threadIdx.x / kCombineChannels;
    float num[4] = {0.f, 0.f, 0.f, 0.f};
    int s = slice;
    for (; s + 3 * kSlices < args.splits; s += 4 * kSlices) {
#pragma unroll
      for (int k = 0; k < 4; ++k) num[k] += weight[s + k * kSlices] * op[static_cast<int64_t>(s + k * kSlices) * D + ch];
    }
    for (; s < args.splits; s += kSlices) num[0] += weight[s] * op[static_cast<int64_t>(s) * D + ch];
    part[slice][threadIdx.x % kCombineChannels] = (num[0] + num[1]) + (num[2] + num[3]);
  }
  __syncthreads();
  if (threadIdx.x < kCombineChannels) {
    const int ch = blockIdx.y * kCombineChannels + threadIdx.x;
    float total = 0.f;
#pragma unroll
    for (int k = 0; k < kSlices; ++k) total += part[k][threadIdx.x];
    const float o = den > 0.f ? total / den : 0.f;
    if (args.bf16) static_cast<__nv_bfloat16*>(out)[obase + ch] = __float2bfloat16_rn(o);
    else static_cast<__half*>(out)[obase + ch] = __float2half_rn(o);
  }
  if (lse_out && threadIdx.x == 0 && blockIdx.y == 0) {
    lse_out[(static_cast<int64_t>(seq) * args.q_tokens + qt) * args.q_heads + head] =
        den > 0.f ? (ms + log2f(den)) * 0.6931471805599453f : -INFINITY;
  }
}

}  // namespace wq::kernels::detail
