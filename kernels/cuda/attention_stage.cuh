// Staging of one 64-token tile of a segment into shared memory: packed code words travel by
// 4-byte cp.async (any alignment the packing contract allows), scales and mins by a register
// prefetch that is stored after the current tile's math, so both overlap the previous tile.
#pragma once

#include "kernels/cuda/mma_utils.cuh"
#include "kernels/kv_view.h"

namespace wq::kernels::detail {

inline constexpr int kThreads = 128;  // 4 warps, 16 tokens of the tile each
inline constexpr int kMaxTokenGroups = 8;  // D / group_size for per-token groups (G >= 16 at D = 128)
inline constexpr int kMaxChannelGroups = 5;  // per-channel key groups a 64-token tile can touch

template <int D>
struct stage_sizes {
  static constexpr int per_token_words = D / 4 + 1;  // 8-bit row + 1 word of padding
  static constexpr int k_words = (D * 17 > 64 * per_token_words) ? D * 17 : 64 * per_token_words;
  static constexpr int v_words = 64 * per_token_words;
  static constexpr int k_scales = (kMaxChannelGroups * D > 64 * kMaxTokenGroups)
                                      ? kMaxChannelGroups * D : 64 * kMaxTokenGroups;
  static constexpr int v_scales = 64 * kMaxTokenGroups;
  static constexpr int k_prefetch = (k_scales + kThreads - 1) / kThreads;
  static constexpr int v_prefetch = (v_scales + kThreads - 1) / kThreads;
};

// Per-tile geometry of one tensor, identical in every thread (computed from the view).
struct tile_geom {
  int row_stride = 0;  // smem words per row (packed layouts)
  int first_slot = 0;  // per-channel: slot of the tile's first token in its first word
  int first_group = 0; // per-channel: group index of the tile's first token
  int groups = 0;      // per-channel: groups touched; per-token: D / group_size
};

inline constexpr int kDescWords = static_cast<int>(sizeof(segment_view) / 4);
static_assert(sizeof(segment_view) % 8 == 0 && kDescWords <= kThreads, "descriptor copy: one word per thread");

template <int D>
struct stage_buffer {
  using sz = stage_sizes<D>;
  // The tile's segment descriptor, copied to shared memory: every thread reads its fields many
  // times per tile, and dependent global loads of them were the kernel's main stall.
  segment_view desc;
  tile_geom k_geom, v_geom;  // of this tile, computed once when it was issued
  uint32_t k_words[sz::k_words];
  uint32_t v_words[sz::v_words];
  __half k_scale[sz::k_scales];  // per-channel: [group][D]; per-token: [group][64]
  __half k_min[sz::k_scales];
  __half v_scale[sz::v_scales];  // [group][64]
  __half v_min[sz::v_scales];
  uint32_t k_row_offset[64];  // interleaved rows: first word of each token in k_words
  uint32_t v_row_offset[64];
  uint8_t k_row_bits[64];
  uint8_t v_row_bits[64];
};


// x / d for d > 0: a shift when d is a power of two (every common width and group size).
// Run-time integer division costs ~20 instructions, and the per-tile bookkeeping used to do
// dozens of them per thread.
__device__ __forceinline__ int div_fast(int x, int d) {
  return (d & (d - 1)) == 0 ? x >> (__ffs(d) - 1) : x / d;
}

__device__ __forceinline__ int storage_id(const tensor_view& tv) {
  return tv.base3 ? kFmtBase3 : tv.storage_bits;
}
__device__ __forceinline__ int codes_per_word_rt(int id) { return id == kFmtBase3 ? 20 : (id == 3 ? 10 : 32 >> (__ffs(id) - 1)); }
__device__ __forceinline__ int words_per_code_row(int id, int n) {
  const int c = codes_per_word_rt(id);
  return div_fast(n + c - 1, c);
}

template <int D>
__device__ __forceinline__ tile_geom make_geom(const tensor_view& tv, int tokens, int t0, int nt) {
  tile_geom g;
  if (tv.format == tensor_format::packed && tv.axis == group_axis::tokens) {
    const int c = codes_per_word_rt(storage_id(tv));
    g.first_slot = t0 - div_fast(t0, c) * c;
    g.row_stride = div_fast(g.first_slot + nt + c - 1, c) + 1;
    g.first_group = div_fast(t0, tv.group_size);
    g.groups = div_fast(t0 + nt - 1, tv.group_size) - g.first_group + 1;
  } else if (tv.format == tensor_format::packed) {
    g.row_stride = words_per_code_row(storage_id(tv), D) + 1;
    g.groups = div_fast(D, tv.group_size);
  } else if (tv.format == tensor_format::interleaved) {
    g.groups = div_fast(D, tv.group_size);
  }
  return g;
}

// fp16 (scale, min) of group entry `idx`, with the dequant rule folded into min so that every
// format dequantizes as code·scale + min.
__device__ __forceinline__ __half2 load_scale_min(const tensor_view& tv, const uint16_t* scales,
                                                  const uint16_t* mins, int64_t idx) {
  const __half s = __ushort_as_half(scales[idx]);
  __half m = __ushort_as_half(0);
  switch (tv.rule) {
    case dequant_rule::asym: m = __ushort_as_half(mins[idx]); break;
    case dequant_rule::sym:
      m = __float2half_rn(-static_cast<float>((1 << (tv.storage_bits - 1)) - 1) * __half2float(s));
      break;
    case dequant_rule::ternary: m = __hneg(s); break;
    case dequant_rule::scale_only: break;
  }
  return __halves2half2(s, m);
}

// Issues the cp.async copies of a tile's code words into `words` (no commit).
template <int D>
__device__ __forceinline__ void issue_words(const tensor_view& tv, int kv_head, int tokens, int t0,
                                            int nt, const tile_geom& g, uint32_t* words,
                                            uint32_t* row_offset) {
  const int tid = threadIdx.x;
  if (tv.format == tensor_format::packed) {
    const int id = storage_id(tv);
    const uint32_t* base = tv.words + kv_head * tv.head_stride_words;
    if (tv.axis == group_axis::tokens) {
      const int c = codes_per_word_rt(id);
      const int row_words = div_fast(tokens + c - 1, c), w0 = div_fast(t0, c), wc = g.row_stride - 1;
      for (int i = tid; i < D * wc; i += kThreads) {
        const int ch = div_fast(i, wc), j = i - ch * wc;
        cp_async4(words + ch * g.row_stride + j, base + static_cast<int64_t>(ch) * row_words + w0 + j);
      }
    } else {
      const int rw = g.row_stride - 1;
      const uint32_t* src = base + static_cast<int64_t>(t0) * rw;
      for (int i = tid; i < nt * rw; i += kThreads) {
        const int r = div_fast(i, rw);
        cp_async4(words + r * g.row_stride + (i - r * rw), src + i);
      }
    }
  } else if (tv.format == tensor_format::interleaved) {
    // The tile's tokens are contiguous in memory: copy [offset[t0], end) as one run.
    const uint32_t* offs = tv.word_offset + kv_head * tv.head_stride_tokens;
    const uint8_t* bits = tv.bits + kv_head * tv.head_stride_tokens;
    const uint32_t first = offs[t0];
    const int last = t0 + nt - 1;
    const int c_last = 32 / bits[last];  // 3-bit: 10 codes per word, not 32/3 bits
    const uint32_t end = offs[last] + (D + c_last - 1) / c_last;
    const uint32_t* src = tv.words + kv_head * tv.head_stride_words + first;
    for (uint32_t i = tid; i < end - first; i += kThreads) cp_async4(words + i, src + i);
  }
}

// Register prefetch of a tile's scales/mins (and interleaved row metadata).
template <int D, int N>
struct scale_prefetch {
  __half2 sm[N];
  uint32_t meta = 0;  // interleaved: row offset (low 24 bits) | bits << 24
};

template <int D, int N>
__device__ __forceinline__ void load_scales(const tensor_view& tv, int kv_head, int tokens, int t0,
                                            int nt, const tile_geom& g, scale_prefetch<D, N>& p) {
  const int tid = threadIdx.x;
  if (tv.format != tensor_format::packed && tv.format != tensor_format::interleaved) return;
  const uint16_t* scales = tv.scales + kv_head * tv.head_stride_groups;
  const uint16_t* mins = tv.mins ? tv.mins + kv_head * tv.head_stride_groups : nullptr;
  if (tv.format == tensor_format::packed && tv.axis == group_axis::tokens) {
    const int groups_per_row = div_fast(tokens + tv.group_size - 1, tv.group_size);
#pragma unroll
    for (int j = 0; j < N; ++j) {
      const int e = tid + j * kThreads;  // e = group * D + channel
      if (e < g.groups * D) {
        const int gi = e / D, ch = e - gi * D;
        p.sm[j] = load_scale_min(tv, scales, mins, static_cast<int64_t>(ch) * groups_per_row + g.first_group + gi);
      }
    }
  } else {
#pragma unroll
    for (int j = 0; j < N; ++j) {
      const int e = tid + j * kThreads;  // e = token * groups + group (contiguous in memory)
      p.sm[j] = __halves2half2(__ushort_as_half(0), __ushort_as_half(0));
      if (e < nt * g.groups) p.sm[j] = load_scale_min(tv, scales, mins, static_cast<int64_t>(t0) * g.groups + e);
    }
    if (tv.format == tensor_format::interleaved && tid < 64) {
      const uint32_t* offs = tv.word_offset + kv_head * tv.head_stride_tokens;
      const uint8_t* bits = tv.bits + kv_head * tv.head_stride_tokens;
      p.meta = 1u << 24;  // rows past the tile: 1-bit codes at offset 0 (finite, weight 0)
      if (tid < nt) p.meta = (offs[t0 + tid] - offs[t0]) | (static_cast<uint32_t>(bits[t0 + tid]) << 24);
    }
  }
}

// Stores the prefetched scales into the stage. Per-token entries go to [group][token] so two
// adjacent tokens' scales are one 32-bit shared load; tokens past the tile get scale = min = 0.
template <int D, int N>
__device__ __forceinline__ void store_scales(const tensor_view& tv, const tile_geom& g,
                                             const scale_prefetch<D, N>& p, __half* scale,
                                             __half* min, uint32_t* row_offset, uint8_t* row_bits) {
  const int tid = threadIdx.x;
  if (tv.format != tensor_format::packed && tv.format != tensor_format::interleaved) return;
  if (tv.format == tensor_format::packed && tv.axis == group_axis::tokens) {
#pragma unroll
    for (int j = 0; j < N; ++j) {
      const int e = tid + j * kThreads;
      if (e < g.groups * D) {
        scale[e] = __low2half(p.sm[j]);
        min[e] = __high2half(p.sm[j]);
      }
    }
    return;
  }
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const int e = tid + j * kThreads;
    if (e < 64 * g.groups) {
      const int tok = div_fast(e, g.groups), gi = e - tok * g.groups;
      scale[gi * 64 + tok] = __low2half(p.sm[j]);
      min[gi * 64 + tok] = __high2half(p.sm[j]);
    }
  }
  if (tv.format == tensor_format::interleaved && tid < 64) {
    row_offset[tid] = p.meta & 0xFFFFFFu;
    row_bits[tid] = static_cast<uint8_t>(p.meta >> 24);
  }
}

}  // namespace wq::kernels::detail
