// Device-side arithmetic shared by the fast quantize+pack kernels (quantize_pack_fast.cu,
// quantize_pack_interleaved.cu): 16-bit pair min/max with NaN detection, a group's (scale, min)
// as core/quant rounds them, codes without a division (pack_word), a group's extremes across
// lanes, and the packed stores. Same arithmetic as quantize_group_dev, so the output is
// bit-identical to core/quant and core/cache.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/pack_quotient.h"

namespace wq::kernels::fast_pack {

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
// Maximum for the group statistics: fp16 maxima propagate NaN, so a group holding a NaN is seen
// (has_nan) and kept off pack_word's plain path; its maximum is then recomputed with max2.
template <bool BF>
__device__ __forceinline__ uint32_t max2_seeing_nan(uint32_t a, uint32_t b) {
  if constexpr (BF) {
    return max2<BF>(a, b);
  } else {
    const __half2 m = __hmax2_nan(*reinterpret_cast<const __half2*>(&a), *reinterpret_cast<const __half2*>(&b));
    return *reinterpret_cast<const uint32_t*>(&m);
  }
}
template <bool BF>
__device__ __forceinline__ bool has_nan(uint32_t w) {
  return !BF && ((w & 0x7FFFu) > 0x7C00u || ((w >> 16) & 0x7FFFu) > 0x7C00u);
}
template <bool BF>
__device__ __forceinline__ float half_of(uint32_t w, int hi) {
  if constexpr (BF) return __uint_as_float(hi ? w & 0xFFFF0000u : w << 16);
  else return hi ? __high2float(*reinterpret_cast<const __half2*>(&w)) : __low2float(*reinterpret_cast<const __half2*>(&w));
}

// One 16-byte load (8 values) as 4 words.
__device__ __forceinline__ void load_words(const uint16_t* p, uint32_t* w) {
  const uint4 r = __ldg(reinterpret_cast<const uint4*>(p));
  w[0] = r.x, w[1] = r.y, w[2] = r.z, w[3] = r.w;
}

// (scale, min) of a group with extremes lo, hi, as core/quant rounds them; r = 1/s (0 if s = 0).
// plain: fp16 input without NaN (the caller says so), finite extremes and s a normal fp16
// value, so every q of pack_word lies in [0, top + 1/4] (m = lo exactly, and s is (hi − lo)/top
// to within 2^-10): no clamp needed.
struct group_scale {
  uint16_t s16, m16;
  float s, m, r;
  bool plain;
  __device__ static group_scale of(float lo, float hi, float top, bool fp16_without_nan = false) {
    group_scale g;
    g.s16 = half_bits(__fdiv_rn(__fsub_rn(hi, lo), top));
    g.m16 = half_bits(lo);
    g.s = __half2float(__ushort_as_half(g.s16));
    g.m = __half2float(__ushort_as_half(g.m16));
    g.r = g.s == 0.f ? 0.f : __frcp_rn(g.s);
    const uint32_t e = g.s16 & 0x7C00u;
    g.plain = fp16_without_nan && isfinite(lo) && isfinite(hi) && e != 0 && e != 0x7C00u;
    return g;
  }
};

inline constexpr float kMagic = 12582912.f;  // 1.5·2^23
inline constexpr uint32_t kMagicBits = 0x4B400000u;

// 1.5·2^23 + code as float bits, for a plain group (no clamp) and for any group (clamped to
// [0, top]).
__device__ __forceinline__ uint32_t magic_code_plain(const group_scale& gs, float x) {
  return __float_as_uint(__fadd_rn(quotient_by_reciprocal(__fsub_rn(x, gs.m), gs.s, gs.r), kMagic));
}
__device__ __forceinline__ uint32_t magic_code_clamped(const group_scale& gs, float x, float top) {
  const float a = fminf(__fsub_rn(x, gs.m), 1073741824.f);
  const float q = quotient_by_reciprocal(a, gs.s, gs.r);
  return __float_as_uint(fminf(fmaxf(__fadd_rn(q, kMagic), kMagic), kMagic + top));
}

// The codes of N values x(i) at bits B·i of one word: code = clamp(rintf(__fdiv_rn(x − m, s)),
// 0, top) bit for bit, as core/quant computes it, with no division and no branch per value.
//
// The quotient without a division: q = quotient_by_reciprocal(a, s, r) with r = __frcp_rn(s)
// is exactly __fdiv_rn(a, s) because s is an fp16 value (kernels/pack_quotient.h says why;
// tests/kernels checks it against IEEE division on the hard cases). t = q + 1.5·2^23 then
// rounds q to the nearest even integer in t's low mantissa bits (|q| < 2^22), clamping t to
// [1.5·2^23, 1.5·2^23 + top] clamps the code, and the words are summed with the constant
// mantissa pattern subtracted once per word.
// Plain groups (group_scale::plain, the common case) need no clamp: 7 instructions per value
// (9 otherwise).
// Otherwise a is capped at 2^30 (a code of top for any finite s <= 65504, as before the cap),
// so q0 is finite for bf16 inputs whose difference overflows, s = 0 gives r = 0 and q = 0, and
// t is clamped (NaN to the lower end, as rintf's NaN clamps to 0).
// (The previous version, q0 rounded directly and the word redone by the exact division when a
// q0 lay within 2^-13 of a half, branched per word; at 1 and 2 bits a warp took that branch
// for about one word in five.)
template <int B, int N, bool BF, class X>
__device__ __forceinline__ uint32_t pack_word(const group_scale& gs, X x) {
  constexpr float top = static_cast<float>((1u << B) - 1u);
  constexpr uint32_t kOffset = [] {
    uint32_t o = 0;
    for (int i = 0; i < N; ++i) o += kMagicBits << (B * i);
    return o;
  }();
  uint32_t acc = 0;
  if constexpr (!BF) {
    if (gs.plain) {
#pragma unroll
      for (int i = 0; i < N; ++i) acc += magic_code_plain(gs, x(i)) << (B * i);
      return acc - kOffset;
    }
  }
#pragma unroll
  for (int i = 0; i < N; ++i) acc += magic_code_clamped(gs, x(i), top) << (B * i);
  return acc - kOffset;
}

// Extremes of the group of V values in raw (16-bit pairs) shared by `lanes` adjacent lanes
// (every lane takes part in the shuffles); nan: whether the group holds a NaN (hi ignores it).
template <int V, bool BF>
__device__ __forceinline__ void group_extremes(const uint32_t (&raw)[V / 2], int lanes, float& lo, float& hi, int& nan) {
  uint32_t lo2 = raw[0], hi2 = raw[0];
#pragma unroll
  for (int i = 1; i < V / 2; ++i) {
    lo2 = min2<BF>(lo2, raw[i]);
    hi2 = max2_seeing_nan<BF>(hi2, raw[i]);
  }
  nan = has_nan<BF>(hi2);
  if (nan) {
    hi2 = raw[0];
#pragma unroll
    for (int i = 1; i < V / 2; ++i) hi2 = max2<BF>(hi2, raw[i]);
  }
  lo = fminf(half_of<BF>(lo2, 0), half_of<BF>(lo2, 1));
  hi = fmaxf(half_of<BF>(hi2, 0), half_of<BF>(hi2, 1));
  for (int off = 1; off < lanes; off <<= 1) {
    lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, off));
    hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, off));
    nan |= __shfl_xor_sync(0xffffffffu, nan, off);
  }
}

// The V·B/8 bytes of V codes of B bits (1 .. 32 bytes) at dst: vector stores when dst is
// aligned to their size (dense rows), else 4-byte ones (an interleaved token's words).
template <int B, int V, bool kAligned>
__device__ __forceinline__ void store_packed(const uint32_t* packed, char* dst) {
  constexpr int kBytes = V * B / 8;
  if constexpr (kBytes == 1) {
    *reinterpret_cast<uint8_t*>(dst) = static_cast<uint8_t>(packed[0]);
  } else if constexpr (kBytes == 2) {
    *reinterpret_cast<uint16_t*>(dst) = static_cast<uint16_t>(packed[0]);
  } else if constexpr (!kAligned || kBytes == 4) {
#pragma unroll
    for (int w = 0; w < kBytes / 4; ++w) reinterpret_cast<uint32_t*>(dst)[w] = packed[w];
  } else if constexpr (kBytes == 8) {
    *reinterpret_cast<uint2*>(dst) = make_uint2(packed[0], packed[1]);
  } else {
#pragma unroll
    for (int i = 0; i < kBytes / 16; ++i)
      reinterpret_cast<uint4*>(dst)[i] = make_uint4(packed[4 * i], packed[4 * i + 1], packed[4 * i + 2], packed[4 * i + 3]);
  }
}

// Words of V codes at B bits: kPerWord codes per word (V when they fill less than a word).
template <int B, int V>
struct code_words {
  static constexpr int kPerWord = V * B >= 32 ? 32 / B : V;
  static constexpr int kWords = V / kPerWord;
};

// Codes the V values of raw at B bits (the width known at compile time) and stores them at dst.
template <int B, int V, bool BF>
__device__ __forceinline__ void pack_store(const group_scale& gs, const uint32_t (&raw)[V / 2], char* dst) {
  using W = code_words<B, V>;
  uint32_t packed[W::kWords];
#pragma unroll
  for (int w = 0; w < W::kWords; ++w)
    packed[w] = pack_word<B, W::kPerWord, BF>(gs, [&](int i) {
      const int j = w * W::kPerWord + i;
      return half_of<BF>(raw[j / 2], j & 1);
    });
  store_packed<B, V, true>(packed, dst);
}

}  // namespace wq::kernels::fast_pack
