// Fast path of quantize_pack_interleaved (quantize_pack.cu): the token-interleaved layout of
// token-level mixed precision (core/cache InterleavedTensor), asymmetric min/max groups of
// 1/2/3/4/8-bit and 16-bit tokens, fp16/bf16 input; bit-identical to core/cache.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/quantize_pack_codes.cuh"
#include "kernels/cuda/quantize_pack_fast.cuh"

namespace wq::kernels::fast_pack {
namespace {

// Packs V codes (one per register) at B bits and stores them at an interleaved token's dst.
template <int B, int V>
__device__ __forceinline__ void store_codes(const uint32_t (&code)[V], char* dst) {
  using W = code_words<B, V>;
  uint32_t packed[W::kWords];
#pragma unroll
  for (int w = 0; w < W::kWords; ++w) {
    packed[w] = 0u;
#pragma unroll
    for (int i = 0; i < W::kPerWord; ++i) packed[w] |= code[w * W::kPerWord + i] << (B * i);
  }
  store_packed<B, V, false>(packed, dst);
}

// 3-bit codes of channels ch0 .. ch0 + V − 1 of a token: ten per word (channel c at bit
// 3·(c % 10) of word c / 10), so a word may hold channels of two threads. Each thread owns the
// bits of its channels, and the thread holding a word's last channel (of the token) also the
// bits above it; a word it owns whole is stored, a shared one is cleared and set on its own
// bits by two atomics, so no thread needs the words zeroed first.
template <int V>
__device__ __forceinline__ void store_codes_3bit(const uint32_t (&code)[V], uint32_t* row, int ch0, int channels) {
  constexpr int kSpan = V / 10 + 2;  // words the V channels can touch
  const int w0 = ch0 / 10, last_ch = ch0 + V - 1;
  uint32_t acc[kSpan] = {}, own[kSpan] = {};
#pragma unroll
  for (int i = 0; i < V; ++i) {
    const int ch = ch0 + i, k = ch / 10 - w0, sh = 3 * (ch % 10);
#pragma unroll
    for (int j = 0; j < kSpan; ++j)  // compile-time index: the arrays stay in registers
      if (j == k) {
        acc[j] |= code[i] << sh;
        // the word's last channel: the bits above it too
        own[j] |= (ch % 10 == 9 || ch == channels - 1) ? ~0u << sh : 7u << sh;
      }
  }
#pragma unroll
  for (int j = 0; j < kSpan; ++j) {
    if (w0 + j > last_ch / 10) break;
    uint32_t* w = row + w0 + j;
    if (own[j] == ~0u) {
      *w = acc[j];
    } else {
      atomicAnd(w, ~own[j]);
      atomicOr(w, acc[j]);
    }
  }
}

// Token-interleaved layout (core/cache InterleavedTensor): token t has its own width
// bits[t] and its codes start at word word_offset[t]. A thread quantizes V = min(G, 32)
// consecutive channels of one token (V/8 16-byte loads, issued after the token's width and
// first word so the three round trips overlap), the G/V lanes of a group meet by shuffles, as
// in pack_rows_kernel. 1/2/4/8 bits: the thread's V·b bits are its own (4-byte stores: a
// token's words are only word aligned); 3 bits: store_codes_3bit; 16 bits: the values as fp16
// pairs. The words need no zeroing. (A thread per 8 channels with the width read after the
// extremes, each width coded in its own branch, and the words zeroed first: 43 % of copy
// bandwidth; one thread per group, the general kernel, 8-9 %.)
template <int V, bool BF>
__global__ void __launch_bounds__(256) pack_interleaved_kernel(const uint16_t* x, int tokens, int channels,
                                                               int64_t x_head_stride, const uint8_t* bits,
                                                               const uint32_t* word_offset, int64_t words_per_head,
                                                               int group, uint32_t* words, uint16_t* scales,
                                                               uint16_t* mins) {
  const int per_token = channels / V;
  const int64_t units = static_cast<int64_t>(tokens) * per_token;
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t head = blockIdx.y;
  const int64_t uu = u < units ? u : units - 1;  // past the end: redo the last unit, no stores
  // 32-bit division (the launcher checks units < 2^31): a 64-bit one is a subroutine call
  const uint32_t uu32 = static_cast<uint32_t>(uu);
  const int t = static_cast<int>(uu32 / static_cast<uint32_t>(per_token)), o = static_cast<int>(uu32 - t * per_token);
  const int b = bits[t];
  const uint32_t first = word_offset[t];
  uint32_t raw[V / 2];
  const uint16_t* src = x + head * x_head_stride + uu * V;
#pragma unroll
  for (int i = 0; i < V / 8; ++i) load_words(src + 8 * i, raw + 4 * i);
  const int lanes = group / V;  // power of two <= 32; a group never spans two tokens
  float lo, hi;
  int nan;
  group_extremes<V, BF>(raw, lanes, lo, hi, nan);
  if (u >= units) return;
  uint32_t* row = words + head * words_per_head + first;
  auto value = [&](int i) { return half_of<BF>(raw[i / 2], i & 1); };
  const int64_t sidx = (head * tokens + t) * (channels / group) + o / lanes;
  const bool group_lead = (o & (lanes - 1)) == 0;
  if (b == 16) {  // channel 2j in the low half of word j
#pragma unroll
    for (int i = 0; i < V / 2; ++i)
      row[(V / 2) * o + i] = BF ? static_cast<uint32_t>(half_bits(value(2 * i))) | (static_cast<uint32_t>(half_bits(value(2 * i + 1))) << 16)
                                : raw[i];
    if (group_lead) scales[sidx] = mins[sidx] = 0;
    return;
  }
  // The codes at the token's width, computed alike for every width (the lanes of a warp hold
  // tokens of different widths): only the packing below branches on it.
  const float top = static_cast<float>((1u << b) - 1u);
  const group_scale gs = group_scale::of(lo, hi, top, !BF && !nan);
  uint32_t code[V];
  if (!BF && gs.plain) {
#pragma unroll
    for (int i = 0; i < V; ++i) code[i] = magic_code_plain(gs, value(i)) - kMagicBits;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) code[i] = magic_code_clamped(gs, value(i), top) - kMagicBits;
  }
  char* dst = reinterpret_cast<char*>(row) + o * V * b / 8;  // V·b bits start at bit V·o·b
  switch (b) {
    case 1: store_codes<1, V>(code, dst); break;
    case 2: store_codes<2, V>(code, dst); break;
    case 4: store_codes<4, V>(code, dst); break;
    case 8: store_codes<8, V>(code, dst); break;
    default: store_codes_3bit<V>(code, row, V * o, channels); break;  // 3 (bits[]: 1, 2, 3, 4, 8, 16)
  }
  if (group_lead) {
    scales[sidx] = gs.s16;
    mins[sidx] = gs.m16;
  }
}

}  // namespace

bool launch_interleaved(const void* x, input_dtype dt, int heads, int tokens, int channels, int64_t x_head_stride,
                        const uint8_t* bits, const uint32_t* word_offset, int64_t words_per_head, int group_size,
                        uint32_t* words, uint16_t* scales, uint16_t* mins, cudaStream_t stream) {
  const int lanes = group_size / 8;
  if (dt == input_dtype::f32 || group_size % 8 != 0 || lanes > 32 || (lanes & (lanes - 1)) != 0 ||
      reinterpret_cast<uintptr_t>(x) % 16 != 0 || x_head_stride % 8 != 0 || heads > 65535)
    return false;
  const int V = std::min(group_size, 32);
  const int64_t units = static_cast<int64_t>(tokens) * (channels / V);
  if (units >= (int64_t{1} << 31)) return false;
  const dim3 grid(static_cast<unsigned>((units + 255) / 256), static_cast<unsigned>(heads));
  const uint16_t* xs = static_cast<const uint16_t*>(x);
  dispatch_unit(V, dt == input_dtype::bf16, [&](auto v, auto b) {
    pack_interleaved_kernel<decltype(v)::value, decltype(b)::value><<<grid, 256, 0, stream>>>(
        xs, tokens, channels, x_head_stride, bits, word_offset, words_per_head, group_size, words, scales, mins);
  });
  WQ_CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace wq::kernels::fast_pack
