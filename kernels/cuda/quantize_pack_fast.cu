// Fast paths of quantize_pack and quantize_pack_interleaved (quantize_pack.cu): asymmetric
// min/max groups (fp32 rule) of 1/2/4/8 bits that own whole words (interleaved: also 3- and
// 16-bit tokens), fp16/bf16 input. Same arithmetic as quantize_group_dev, so the output is
// bit-identical to core/quant and core/cache.
//
// The kernels are built for memory-level parallelism: every thread issues all of its loads
// (16-128 bytes) before any arithmetic, its index math is a handful of multiplies (one 32-bit
// division in the interleaved kernel), and the per-group scale is computed by few lanes. (The previous versions reached
// 23-30 % of copy bandwidth: the per-token one spent most of its instructions on two 32-bit
// divisions and one IEEE division per 8 values, the per-channel one had one 4-byte load per
// thread in flight.)
#include "kernels/cuda/quantize_pack_fast.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/cuda_check.h"

namespace wq::kernels::fast_pack {
namespace {

__device__ __forceinline__ uint16_t half_bits(float v) { return __half_as_ushort(__float2half_rn(v)); }

// 16-bit input pairs (fp16 or bf16, BF) as one 32-bit word: element-wise min / max (NaN loses,
// as fminf / fmaxf) and each half as an exact float.
template <bool BF, bool kMin>
__device__ __forceinline__ uint32_t extreme2(uint32_t a, uint32_t b) {
  using pair = std::conditional_t<BF, __nv_bfloat162, __half2>;
  const pair x = *reinterpret_cast<const pair*>(&a), y = *reinterpret_cast<const pair*>(&b);
  const pair m = kMin ? __hmin2(x, y) : __hmax2(x, y);
  return *reinterpret_cast<const uint32_t*>(&m);
}
template <bool BF>
__device__ __forceinline__ uint32_t min2(uint32_t a, uint32_t b) { return extreme2<BF, true>(a, b); }
template <bool BF>
__device__ __forceinline__ uint32_t max2(uint32_t a, uint32_t b) { return extreme2<BF, false>(a, b); }
template <bool BF>
__device__ __forceinline__ float half_of(uint32_t w, int hi) {
  if constexpr (BF) return __uint_as_float(hi ? w & 0xFFFF0000u : w << 16);
  else return hi ? __high2float(*reinterpret_cast<const __half2*>(&w)) : __low2float(*reinterpret_cast<const __half2*>(&w));
}

// One load of L bytes (16, 8 or 4) as L/4 words.
template <int L>
__device__ __forceinline__ void load_words(const uint16_t* p, uint32_t* w) {
  if constexpr (L == 16) {
    const uint4 r = __ldg(reinterpret_cast<const uint4*>(p));
    w[0] = r.x, w[1] = r.y, w[2] = r.z, w[3] = r.w;
  } else if constexpr (L == 8) {
    const uint2 r = __ldg(reinterpret_cast<const uint2*>(p));
    w[0] = r.x, w[1] = r.y;
  } else {
    w[0] = __ldg(reinterpret_cast<const unsigned int*>(p));
  }
}

// (scale, min) of a group with extremes lo, hi, as core/quant rounds them; r = 1/s (0 if s = 0).
struct group_scale {
  uint16_t s16, m16;
  float s, m, r;
  __device__ static group_scale of(float lo, float hi, float top) {
    group_scale g;
    g.s16 = half_bits(__fdiv_rn(__fsub_rn(hi, lo), top));
    g.m16 = half_bits(lo);
    g.s = __half2float(__ushort_as_half(g.s16));
    g.m = __half2float(__ushort_as_half(g.m16));
    g.r = g.s == 0.f ? 0.f : __frcp_rn(g.s);
    return g;
  }
};

// The codes of N values x(i) at bits B·i of one word: code = clamp(rintf(__fdiv_rn(x − m, s)),
// 0, top) bit for bit, as core/quant computes it.
//
// Fast path, ~9 instructions per value: q = (x − m)·(1/s); t = q + 1.5·2^23 rounds q to the
// nearest even integer in t's low mantissa bits (|q| < 2^22), clamping t to [1.5·2^23,
// 1.5·2^23 + top] clamps the code, and the words are summed with the constant mantissa
// pattern subtracted once per word. |q − x/s| <= 2^-15 and |__fdiv_rn − x/s| <= 2^-16 for
// |x/s| < 256 (relative errors 2^-24 of the reciprocal, the product and the division), so q
// and the exact quotient round to the same integer unless q lies within 2^-13 of a half; for
// |x/s| >= 256 both clamp to top. Such a value (about 1 in 4000) makes the thread redo the
// word with the exact division.
template <int B, int N, class X>
__device__ __forceinline__ uint32_t pack_word(const group_scale& gs, X x) {
  constexpr float kMagic = 12582912.f;  // 1.5·2^23
  constexpr uint32_t kMagicBits = 0x4B400000u;
  constexpr float top = static_cast<float>((1u << B) - 1u);
  constexpr float kNearHalf = 0.5f - 1.f / 8192.f;
  constexpr uint32_t kOffset = [] {
    uint32_t o = 0;
    for (int i = 0; i < N; ++i) o += kMagicBits << (B * i);
    return o;
  }();
  uint32_t acc = 0;
  bool near = false;
#pragma unroll
  for (int i = 0; i < N; ++i) {
    const float q = __fmul_rn(__fsub_rn(x(i), gs.m), gs.r);
    const float t = __fadd_rn(q, kMagic);
    near |= fabsf(__fsub_rn(q, __fsub_rn(t, kMagic))) > kNearHalf;
    acc += __float_as_uint(fminf(fmaxf(t, kMagic), kMagic + top)) << (B * i);
  }
  acc -= kOffset;
  if (near) {
    acc = 0;
#pragma unroll
    for (int i = 0; i < N; ++i) {
      const float q = gs.s == 0.f ? 0.f : rintf(__fdiv_rn(__fsub_rn(x(i), gs.m), gs.s));
      acc |= static_cast<uint32_t>(fminf(fmaxf(q, 0.f), top)) << (B * i);
    }
  }
  return acc;
}

// Per-token groups. A thread quantizes V = min(G, 32) consecutive channels of one group (V/8
// 16-byte loads), the G/V lanes of a group meet by shuffles, and the thread stores its V·B
// bits in one or two stores. Rows are contiguous within a head, so a thread's values, codes
// and group lie at offsets proportional to its unit u: x + u·V, byte u·V·B/8, group u·V/G.
template <int B, int V, bool BF>
__global__ void __launch_bounds__(256) pack_rows_kernel(const uint16_t* x, int64_t units_per_head,
                                                        int64_t x_head_stride, int group, uint32_t* words,
                                                        uint16_t* scales, uint16_t* mins) {
  constexpr int kBytes = V * B / 8;  // packed bytes per thread: 1 .. 32
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t head = blockIdx.y;
  // Threads past the end redo the last unit (their whole group is past the end: no stores),
  // so every lane takes part in the shuffles.
  const int64_t uu = u < units_per_head ? u : units_per_head - 1;
  uint32_t raw[V / 2];
  const uint16_t* src = x + head * x_head_stride + uu * V;
#pragma unroll
  for (int i = 0; i < V / 8; ++i) load_words<16>(src + 8 * i, raw + 4 * i);
  uint32_t lo2 = raw[0], hi2 = raw[0];
#pragma unroll
  for (int i = 1; i < V / 2; ++i) {
    lo2 = min2<BF>(lo2, raw[i]);
    hi2 = max2<BF>(hi2, raw[i]);
  }
  float lo = fminf(half_of<BF>(lo2, 0), half_of<BF>(lo2, 1));
  float hi = fmaxf(half_of<BF>(hi2, 0), half_of<BF>(hi2, 1));
  const int lanes = group / V;  // power of two <= 32, groups start at lane multiples
  for (int off = 1; off < lanes; off <<= 1) {
    lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, off));
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, off));
  }
  if (u >= units_per_head) return;
  const group_scale gs = group_scale::of(lo, hi, static_cast<float>((1u << B) - 1u));
  constexpr int kPerWord = kBytes >= 4 ? 32 / B : V;
  constexpr int kWords = V / kPerWord;
  uint32_t packed[kWords];
#pragma unroll
  for (int w = 0; w < kWords; ++w)
    packed[w] = pack_word<B, kPerWord>(gs, [&](int i) {
      const int j = w * kPerWord + i;
      return half_of<BF>(raw[j / 2], j & 1);
    });
  const int64_t elem = head * (units_per_head * V) + u * V;  // output element index (dense heads)
  char* dst = reinterpret_cast<char*>(words) + elem * B / 8;
  if constexpr (kBytes == 1) *reinterpret_cast<uint8_t*>(dst) = static_cast<uint8_t>(packed[0]);
  else if constexpr (kBytes == 2) *reinterpret_cast<uint16_t*>(dst) = static_cast<uint16_t>(packed[0]);
  else if constexpr (kBytes == 4) *reinterpret_cast<uint32_t*>(dst) = packed[0];
  else if constexpr (kBytes == 8) *reinterpret_cast<uint2*>(dst) = make_uint2(packed[0], packed[1]);
  else {
#pragma unroll
    for (int i = 0; i < kBytes / 16; ++i)
      reinterpret_cast<uint4*>(dst)[i] = make_uint4(packed[4 * i], packed[4 * i + 1], packed[4 * i + 2], packed[4 * i + 3]);
  }
  if ((threadIdx.x & (lanes - 1)) == 0) {
    const int64_t gidx = elem / group;
    scales[gidx] = gs.s16;
    mins[gidx] = gs.m16;
  }
}

// Per-channel groups (a group = G consecutive tokens of one channel). A block covers one group
// of one head and `cols`·CPT channels (CPT = L/2 channels per L-byte load); thread (row, col)
// loads T = min(8, 32/B) tokens of its CPT channels (all T loads first) and codes them. Min/max
// meet across the G/T rows in shared memory as 16-bit pairs (exact: the extremes are input
// values).
// (Whole words per thread, 16 tokens at 2 bits, needed 110 registers: 4 blocks of 128 threads
// per SM, which left the kernel waiting on memory.)
template <int B, int L, bool BF>
__global__ void __launch_bounds__(256, 4) pack_channels_kernel(const uint16_t* x, int tokens, int channels,
                                                            int64_t x_head_stride, int group, int cols,
                                                            int64_t row_words, int64_t row_groups, uint32_t* words,
                                                            uint16_t* scales, uint16_t* mins) {
  constexpr int T = 32 / B < 8 ? 32 / B : 8, P = L / 4;  // tokens, pairs of channels per thread
  constexpr int kBytes = T * B / 8;                       // 1, 2 or 4
  extern __shared__ uint32_t red[];  // [rows][cols·P] minima, then maxima, then the code tile
  const int rows = blockDim.x / cols;
  const int col = threadIdx.x % cols, row = threadIdx.x / cols;
  const int ch0 = (blockIdx.x * cols + col) * 2 * P;
  const int gi = blockIdx.y, h = blockIdx.z;
  const int first = gi * group, n = min(group, tokens - first);
  const bool ch_ok = ch0 < channels;  // channels % (2P) == 0
  const int t_lo = row * T;           // within the group (may lie past n)
  // Tokens past the group's end reread its last token (no effect on min/max; codes masked).
  const uint16_t* src = x + h * x_head_stride + static_cast<int64_t>(first) * channels + (ch_ok ? ch0 : 0);
  uint32_t raw[T][P];
#pragma unroll
  for (int i = 0; i < T; ++i) load_words<L>(src + static_cast<int64_t>(min(t_lo + i, n - 1)) * channels, raw[i]);
  uint32_t lo2[P], hi2[P];
#pragma unroll
  for (int p = 0; p < P; ++p) {
    lo2[p] = hi2[p] = raw[0][p];
#pragma unroll
    for (int i = 1; i < T; ++i) {
      lo2[p] = min2<BF>(lo2[p], raw[i][p]);
      hi2[p] = max2<BF>(hi2[p], raw[i][p]);
    }
  }
  const int width = cols * P;
  uint32_t* red_lo = red + row * width + col * P;
  uint32_t* red_hi = red_lo + rows * width;
#pragma unroll
  for (int p = 0; p < P; ++p) red_lo[p] = lo2[p], red_hi[p] = hi2[p];
  __syncthreads();
  for (int k = 0; k < rows; ++k) {
    const uint32_t* kl = red + k * width + col * P;
    const uint32_t* kh = kl + rows * width;
#pragma unroll
    for (int p = 0; p < P; ++p) lo2[p] = min2<BF>(lo2[p], kl[p]), hi2[p] = max2<BF>(hi2[p], kh[p]);
  }
  // Codes go through a shared [channel][group] tile so that each channel's run of words leaves
  // in whole 32-byte sectors (stores of T·B bits straight from every thread made more L2
  // write requests than the loads made read requests). Threads past the group's end write
  // zero codes: the tail of the group's last word.
  const int wpg = group / (32 / B);  // words per channel per group
  uint32_t* tile = red + 2 * rows * width;
  const int valid = max(0, min(T, n - t_lo));
  const uint32_t mask = valid * B >= 32 ? ~0u : (1u << (valid * B)) - 1u;
#pragma unroll
  for (int e = 0; e < 2 * P; ++e) {
    const group_scale gs =
        group_scale::of(half_of<BF>(lo2[e / 2], e & 1), half_of<BF>(hi2[e / 2], e & 1), static_cast<float>((1u << B) - 1u));
    const uint32_t bits = pack_word<B, T>(gs, [&](int i) { return half_of<BF>(raw[i][e / 2], e & 1); }) & mask;
    char* dst = reinterpret_cast<char*>(tile + (col * 2 * P + e) * wpg) + t_lo * B / 8;
    if constexpr (kBytes == 1) *reinterpret_cast<uint8_t*>(dst) = static_cast<uint8_t>(bits);
    else if constexpr (kBytes == 2) *reinterpret_cast<uint16_t*>(dst) = static_cast<uint16_t>(bits);
    else *reinterpret_cast<uint32_t*>(dst) = bits;
    if (row == 0 && ch_ok) {
      const int64_t crow = static_cast<int64_t>(h) * channels + ch0 + e;
      scales[crow * row_groups + gi] = gs.s16;
      mins[crow * row_groups + gi] = gs.m16;
    }
  }
  __syncthreads();
  const int used = (n + 32 / B - 1) / (32 / B);  // words of this group inside the row
  const int ch_block = blockIdx.x * cols * 2 * P;
  for (int i = threadIdx.x; i < cols * 2 * P * used; i += blockDim.x) {
    const int lc = i / used, w = i - lc * used;
    if (ch_block + lc < channels)
      words[(static_cast<int64_t>(h) * channels + ch_block + lc) * row_words + first / (32 / B) + w] = tile[lc * wpg + w];
  }
}

// Token-interleaved layout (core/cache InterleavedTensor): token t has its own width
// bits[t] and its codes start at word word_offset[t]. A thread quantizes 8 consecutive
// channels of one token (one 16-byte load), the G/8 lanes of a group meet by shuffles, as in
// pack_rows_kernel; the width is read per token. 1/2/4/8 bits: the thread's 8·b bits are its
// own; 3 bits (ten codes per word, words shared between threads) are OR-ed into the zeroed
// words; 16 bits: the values as fp16 pairs. (One thread per group, the general kernel, read
// its group with 2-byte loads: 8-9 % of copy bandwidth.)
template <bool BF>
__global__ void __launch_bounds__(256) pack_interleaved_kernel(const uint16_t* x, int tokens, int channels,
                                                               int64_t x_head_stride, const uint8_t* bits,
                                                               const uint32_t* word_offset, int64_t words_per_head,
                                                               int group, uint32_t* words, uint16_t* scales,
                                                               uint16_t* mins) {
  const int octets = channels / 8;
  const int64_t units = static_cast<int64_t>(tokens) * octets;
  const int64_t u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t head = blockIdx.y;
  const int64_t uu = u < units ? u : units - 1;  // past the end: redo the last unit, no stores
  // 32-bit division (the launcher checks units < 2^31): a 64-bit one is a subroutine call
  const uint32_t uu32 = static_cast<uint32_t>(uu);
  const int t = static_cast<int>(uu32 / static_cast<uint32_t>(octets)), o = static_cast<int>(uu32 - t * octets);
  uint32_t raw[4];
  load_words<16>(x + head * x_head_stride + uu * 8, raw);
  uint32_t lo2 = raw[0], hi2 = raw[0];
#pragma unroll
  for (int i = 1; i < 4; ++i) lo2 = min2<BF>(lo2, raw[i]), hi2 = max2<BF>(hi2, raw[i]);
  float lo = fminf(half_of<BF>(lo2, 0), half_of<BF>(lo2, 1));
  float hi = fmaxf(half_of<BF>(hi2, 0), half_of<BF>(hi2, 1));
  const int lanes = group / 8;  // power of two <= 32; a group never spans two tokens
  for (int off = 1; off < lanes; off <<= 1) {
    lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, off));
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, off));
  }
  if (u >= units) return;
  const int b = bits[t];
  uint32_t* row = words + head * words_per_head + word_offset[t];
  auto value = [&](int i) { return half_of<BF>(raw[i / 2], i & 1); };
  const int64_t sidx = (head * tokens + t) * (channels / group) + o / lanes;
  const bool group_lead = (o & (lanes - 1)) == 0;
  if (b == 16) {  // channel 2j in the low half of word j
#pragma unroll
    for (int i = 0; i < 4; ++i)
      row[4 * o + i] = BF ? static_cast<uint32_t>(half_bits(value(2 * i))) | (static_cast<uint32_t>(half_bits(value(2 * i + 1))) << 16)
                          : raw[i];
    if (group_lead) scales[sidx] = mins[sidx] = 0;
    return;
  }
  const group_scale gs = group_scale::of(lo, hi, static_cast<float>((1u << b) - 1u));
  char* dst = reinterpret_cast<char*>(row) + o * b;  // 8·b bits start at bit 8·o·b
  switch (b) {
    case 1: *reinterpret_cast<uint8_t*>(dst) = static_cast<uint8_t>(pack_word<1, 8>(gs, value)); break;
    case 2: *reinterpret_cast<uint16_t*>(dst) = static_cast<uint16_t>(pack_word<2, 8>(gs, value)); break;
    case 4: *reinterpret_cast<uint32_t*>(dst) = pack_word<4, 8>(gs, value); break;
    case 8: {  // 8-byte run at a 4-byte aligned offset
      reinterpret_cast<uint32_t*>(dst)[0] = pack_word<8, 4>(gs, value);
      reinterpret_cast<uint32_t*>(dst)[1] = pack_word<8, 4>(gs, [&](int i) { return value(4 + i); });
      break;
    }
    default: {  // 3 (bits[] holds 1, 2, 3, 4, 8, 16): ten codes per word, the exact division
      const int ch0 = 8 * o, w0 = ch0 / 10;
      uint32_t acc[2] = {0u, 0u};
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const float q = gs.s == 0.f ? 0.f : rintf(__fdiv_rn(__fsub_rn(value(i), gs.m), gs.s));
        const int ch = ch0 + i;
        acc[ch / 10 - w0] |= static_cast<uint32_t>(fminf(fmaxf(q, 0.f), 7.f)) << (3 * (ch % 10));
      }
      atomicOr(row + w0, acc[0]);
      if (acc[1]) atomicOr(row + w0 + 1, acc[1]);
      break;
    }
  }
  if (group_lead) {
    scales[sidx] = gs.s16;
    mins[sidx] = gs.m16;
  }
}

}  // namespace

bool launch(const pack_spec& sp, const void* x, input_dtype dt, int heads, int tokens, int channels,
            int64_t x_head_stride, int64_t row_words, int64_t row_groups, uint32_t* words, uint16_t* scales,
            uint16_t* mins, cudaStream_t stream) {
  const int B = sp.bits, G = sp.group_size, c = 32 / B;
  const bool asym_minmax = !sp.ternary && !sp.symmetric && !sp.sign_meanabs && !sp.kivi_fp16 && !sp.base3;
  if (!asym_minmax || dt == input_dtype::f32 || (B != 1 && B != 2 && B != 4 && B != 8) || G % c != 0) return false;
  const bool bf = dt == input_dtype::bf16;
  const uint16_t* xs = static_cast<const uint16_t*>(x);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(x);
  // L-byte loads of L/2 channels need L-aligned rows
  auto loads_fit = [&](int L) { return addr % L == 0 && channels % (L / 2) == 0 && x_head_stride % (L / 2) == 0; };
  if (sp.per_channel) {
    const int rows = G / std::min(c, 8);  // threads per group (see pack_channels_kernel)
    const int L = loads_fit(16) ? 16 : loads_fit(4) ? 4 : 0;
    if (rows > 256 || L == 0 || row_groups > 65535 || heads > 65535) return false;
    const int col_total = channels / (L / 2);
    const int cols = std::min(col_total, std::max(1, 256 / rows));
    const dim3 grid(static_cast<unsigned>((col_total + cols - 1) / cols), static_cast<unsigned>(row_groups),
                    static_cast<unsigned>(heads));
    const size_t smem = (static_cast<size_t>(2) * rows * cols * (L / 4) + static_cast<size_t>(cols) * (L / 2) * (G / c)) * sizeof(uint32_t);
#define WQ_PACK_CH(BB, LL)                                                                                         \
  if (bf) pack_channels_kernel<BB, LL, true><<<grid, rows * cols, smem, stream>>>(PACK_CH_ARGS);                  \
  else pack_channels_kernel<BB, LL, false><<<grid, rows * cols, smem, stream>>>(PACK_CH_ARGS)
#define PACK_CH_ARGS xs, tokens, channels, x_head_stride, G, cols, row_words, row_groups, words, scales, mins
    const bool w = L != 4;
    switch (B) {
      case 1: if (w) WQ_PACK_CH(1, 16); else WQ_PACK_CH(1, 4); break;
      case 2: if (w) WQ_PACK_CH(2, 16); else WQ_PACK_CH(2, 4); break;
      case 4: if (w) WQ_PACK_CH(4, 16); else WQ_PACK_CH(4, 4); break;
      default: if (w) WQ_PACK_CH(8, 16); else WQ_PACK_CH(8, 4); break;
    }
#undef PACK_CH_ARGS
#undef WQ_PACK_CH
    WQ_CUDA_CHECK_LAUNCH();
    return true;
  }
  const int V = std::min(G, 32);
  const int lanes = G / V;
  if (G % 8 != 0 || G % V != 0 || (lanes & (lanes - 1)) != 0 || V == 24 || !loads_fit(16) || heads > 65535)
    return false;
  const int64_t units = static_cast<int64_t>(tokens) * channels / V;
  const dim3 grid(static_cast<unsigned>((units + 255) / 256), static_cast<unsigned>(heads));
#define WQ_PACK_ROW(BB, VV)                                                                                   \
  if (bf) pack_rows_kernel<BB, VV, true><<<grid, 256, 0, stream>>>(xs, units, x_head_stride, G, words, scales, mins); \
  else pack_rows_kernel<BB, VV, false><<<grid, 256, 0, stream>>>(xs, units, x_head_stride, G, words, scales, mins)
#define WQ_PACK_ROWS(BB)                 \
  switch (V) {                           \
    case 8: WQ_PACK_ROW(BB, 8); break;   \
    case 16: WQ_PACK_ROW(BB, 16); break; \
    default: WQ_PACK_ROW(BB, 32); break; \
  }
  switch (B) {
    case 1: WQ_PACK_ROWS(1); break;
    case 2: WQ_PACK_ROWS(2); break;
    case 4: WQ_PACK_ROWS(4); break;
    default: WQ_PACK_ROWS(8); break;
  }
#undef WQ_PACK_ROWS
#undef WQ_PACK_ROW
  WQ_CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace wq::kernels::fast_pack

namespace wq::kernels::fast_pack {

bool launch_interleaved(const void* x, input_dtype dt, int heads, int tokens, int channels, int64_t x_head_stride,
                        const uint8_t* bits, const uint32_t* word_offset, int64_t words_per_head, int group_size,
                        uint32_t* words, uint16_t* scales, uint16_t* mins, cudaStream_t stream) {
  const int lanes = group_size / 8;
  if (dt == input_dtype::f32 || group_size % 8 != 0 || lanes > 32 || (lanes & (lanes - 1)) != 0 ||
      reinterpret_cast<uintptr_t>(x) % 16 != 0 || x_head_stride % 8 != 0 || heads > 65535)
    return false;
  const int64_t units = static_cast<int64_t>(tokens) * (channels / 8);
  if (units >= (int64_t{1} << 31)) return false;
  const dim3 grid(static_cast<unsigned>((units + 255) / 256), static_cast<unsigned>(heads));
  const uint16_t* xs = static_cast<const uint16_t*>(x);
  if (dt == input_dtype::bf16)
    pack_interleaved_kernel<true><<<grid, 256, 0, stream>>>(xs, tokens, channels, x_head_stride, bits, word_offset,
                                                            words_per_head, group_size, words, scales, mins);
  else
    pack_interleaved_kernel<false><<<grid, 256, 0, stream>>>(xs, tokens, channels, x_head_stride, bits, word_offset,
                                                             words_per_head, group_size, words, scales, mins);
  WQ_CUDA_CHECK_LAUNCH();
  return true;
}

}  // namespace wq::kernels::fast_pack
