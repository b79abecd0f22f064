#include "kernels/cuda/read_floor.cuh"

#include <stdexcept>
#include <string>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_query_cache.h"

namespace wq::kernels {
namespace {

constexpr int kThreads = 512, kInFlight = 8;

__global__ void __launch_bounds__(kThreads) stream_read_kernel(const uint4* data, size_t units, const uint32_t* tail,
                                                               int tail_words, uint32_t* checksum) {
  const size_t stride = static_cast<size_t>(gridDim.x) * kThreads;
  uint32_t x = 0;
  size_t i = static_cast<size_t>(blockIdx.x) * kThreads + threadIdx.x;
  // Whole rounds of kInFlight loads with no bounds check between them, then the remainder.
  for (; i + (kInFlight - 1) * stride < units; i += kInFlight * stride) {
    uint4 v[kInFlight];
#pragma unroll
    for (int k = 0; k < kInFlight; ++k) v[k] = __ldg(data + i + k * stride);
#pragma unroll
    for (int k = 0; k < kInFlight; ++k) x ^= v[k].x ^ v[k].y ^ v[k].z ^ v[k].w;
  }
  for (; i < units; i += stride) {
    const uint4 v = __ldg(data + i);
    x ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (blockIdx.x == 0 && threadIdx.x < tail_words) x ^= __ldg(tail + threadIdx.x);
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) x ^= __shfl_xor_sync(0xffffffffu, x, o);
  // One atomic per block, not per warp: thousands on one address would serialise in L2.
  __shared__ uint32_t warp_x[kThreads / 32];
  if ((threadIdx.x & 31) == 0) warp_x[threadIdx.x >> 5] = x;
  __syncthreads();
  if (threadIdx.x == 0) {
    uint32_t b = 0;
    for (int w = 0; w < kThreads / 32; ++w) b ^= warp_x[w];
    atomicXor(checksum, b);
  }
}

}  // namespace

void stream_read(const void* data, size_t bytes, int blocks_per_sm, uint32_t* checksum, cudaStream_t stream) {
  if (reinterpret_cast<uintptr_t>(data) % 16 != 0)
    throw std::invalid_argument("stream_read: data must be 16-byte aligned");
  if (bytes % 4 != 0)
    throw std::invalid_argument("stream_read: bytes must be a multiple of 4, got " + std::to_string(bytes));
  if (blocks_per_sm < 1 || blocks_per_sm > 64)
    throw std::invalid_argument("stream_read: blocks_per_sm must be in 1..64, got " + std::to_string(blocks_per_sm));
  const int sms = cached_query(0, [](int device) {
    int n = 0;
    WQ_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
    return n;
  });
  const size_t units = bytes / 16;
  const auto* tail = reinterpret_cast<const uint32_t*>(static_cast<const uint8_t*>(data) + units * 16);
  stream_read_kernel<<<sms * blocks_per_sm, kThreads, 0, stream>>>(static_cast<const uint4*>(data), units, tail,
                                                                     static_cast<int>(bytes % 16 / 4), checksum);
  WQ_CUDA_CHECK_LAUNCH();
}

}  // namespace wq::kernels
