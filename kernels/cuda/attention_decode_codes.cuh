// Register-side building blocks of the warp-independent decode kernel (attention_decode.cuh):
// bit-twiddling intrinsics, where a thread slot's codes sit in the packed words (slice), one
// segment tensor's descriptor for a KV head (dec_tensor) and a warp's running state (dec_state).
#pragma once

#include "kernels/cuda/attention_kernel.cuh"

namespace wq::kernels::detail {

inline constexpr int kDecWarps = 4;
inline constexpr int kDecThreads = 32 * kDecWarps;

__device__ __forceinline__ uint32_t movmatrix_trans(uint32_t a) {
  uint32_t d;
  asm volatile("movmatrix.sync.aligned.m8n8.trans.b16 %0, %1;\n" : "=r"(d) : "r"(a));
  return d;
}
__device__ __forceinline__ uint32_t hfma2_u(uint32_t a, uint32_t b, uint32_t c) {
  return as_u32(__hfma2(as_h2(a), as_h2(b), as_h2(c)));
}
__device__ __forceinline__ uint32_t hmul2_u(uint32_t a, uint32_t b) { return as_u32(__hmul2(as_h2(a), as_h2(b))); }
__device__ __forceinline__ uint32_t ldg_word(const uint32_t* p) { return __ldg(p); }
__device__ __forceinline__ uint16_t ldg_u16(const uint16_t* p) { return __ldg(reinterpret_cast<const unsigned short*>(p)); }

// N codes of B bits owned by one thread slot (0..7) of a row: where they are and how they merge.
template <int B, int N>
struct slice {
  static constexpr int kBits = B * N;                          // 8 .. 128
  static constexpr int kWords = kBits >= 32 ? kBits / 32 : 1;  // words loaded per row
  static constexpr int kRegs = kBits >= 16 ? kBits / 16 : 1;   // merged registers per row pair
  static constexpr int kPerHalf = kBits >= 16 ? 16 / B : N;    // codes per 16-bit half
  static constexpr int kShift = (10 / B) * B;                  // codes past bit 10: shift first
  // word of the row holding the slot's first code, relative to the tile's first word
  __device__ static int word(int slot) { return kBits >= 32 ? slot * kWords : (slot * kBits) >> 5; }
  // prmt selector pairing the slot's bits of row A (low half) and row B (high half)
  __device__ static uint32_t selector(int slot) {
    if constexpr (kBits == 8) {
      const uint32_t by = slot & 3;
      return by | (by << 4) | ((by + 4) << 8) | ((by + 4) << 12);
    } else {
      return (slot & 1) ? 0x7632u : 0x5410u;
    }
  }
  __device__ static void merge(const uint32_t (&a)[kWords], const uint32_t (&b)[kWords], uint32_t sel,
                               uint32_t (&m)[kRegs]) {
    if constexpr (kBits <= 16) {
      m[0] = __byte_perm(a[0], b[0], sel);
    } else {
#pragma unroll
      for (int i = 0; i < kWords; ++i) {
        m[2 * i] = __byte_perm(a[i], b[i], 0x5410);
        m[2 * i + 1] = __byte_perm(a[i], b[i], 0x7632);
      }
    }
  }
  // bit position (after the optional shift) of code n inside its 16-bit half
  __host__ __device__ static constexpr int bit_of(int n) {
    return ((n % kPerHalf) * B + B > 10) ? (n % kPerHalf) * B - kShift : (n % kPerHalf) * B;
  }
  // The code bits of code n, isolated (after the optional shift) in both 16-bit halves.
  template <int n_>
  __device__ static uint32_t bits_of(const uint32_t (&m)[kRegs]) {
    constexpr int n = n_ < N ? n_ : 0;  // unreachable indices of a narrower slice
    constexpr int reg = n / kPerHalf, pos = n % kPerHalf;
    constexpr bool shifted = pos * B + B > 10;
    constexpr uint32_t mask = (((1u << B) - 1u) << bit_of(n)) * 0x00010001u;
    return (shifted ? (m[reg] >> kShift) : m[reg]) & mask;
  }
  // half2 (code·2^(bit−24) of row A, of row B): the code bits under a zero exponent are an
  // exact fp16 subnormal, which the tensor cores take as is, so one AND per half2. The
  // 2^(24−bit) factor is removed from the fp32 mma results (kSubnormalShift).
  template <int n_>
  __device__ static uint32_t raw(const uint32_t (&m)[kRegs]) {
    return bits_of<n_>(m);
  }
  // exact code values (dequantize-in-fragment path, where the fp16 result is scaled before
  // the mma): 1024 + code·2^bit − 1024, then · 2^−bit; exact.
  template <int n_>
  __device__ static uint32_t code(const uint32_t (&m)[kRegs]) {
    constexpr int n = n_ < N ? n_ : 0;
    constexpr uint32_t mul = static_cast<uint32_t>(15 - bit_of(n)) << 10;  // 2^-bit
    const uint32_t biased = as_u32(__hsub2(as_h2(bits_of<n_>(m) | 0x64006400u), as_h2(0x64006400u)));
    return hmul2_u(biased, mul * 0x00010001u);
  }
};

// A raw code operand is code·2^(bit − kSubnormalShift) (slice::raw).
inline constexpr int kSubnormalShift = 24;

// code(n) / raw(n) with n known after unrolling (the switch folds away).
template <class S, bool raw_>
__device__ __forceinline__ uint32_t code_n(const uint32_t (&m)[S::kRegs], int n) {
  switch (n) {
    case 0: return raw_ ? S::template raw<0>(m) : S::template code<0>(m);
    case 1: return raw_ ? S::template raw<1>(m) : S::template code<1>(m);
    case 2: return raw_ ? S::template raw<2>(m) : S::template code<2>(m);
    case 3: return raw_ ? S::template raw<3>(m) : S::template code<3>(m);
    case 4: return raw_ ? S::template raw<4>(m) : S::template code<4>(m);
    case 5: return raw_ ? S::template raw<5>(m) : S::template code<5>(m);
    case 6: return raw_ ? S::template raw<6>(m) : S::template code<6>(m);
    case 7: return raw_ ? S::template raw<7>(m) : S::template code<7>(m);
    case 8: return raw_ ? S::template raw<8>(m) : S::template code<8>(m);
    case 9: return raw_ ? S::template raw<9>(m) : S::template code<9>(m);
    case 10: return raw_ ? S::template raw<10>(m) : S::template code<10>(m);
    case 11: return raw_ ? S::template raw<11>(m) : S::template code<11>(m);
    case 12: return raw_ ? S::template raw<12>(m) : S::template code<12>(m);
    case 13: return raw_ ? S::template raw<13>(m) : S::template code<13>(m);
    case 14: return raw_ ? S::template raw<14>(m) : S::template code<14>(m);
    default: return raw_ ? S::template raw<15>(m) : S::template code<15>(m);
  }
}
// One tensor of the current segment for this KV head (registers; reloaded on segment change).
struct dec_tensor {
  const uint32_t* words = nullptr;
  const uint16_t* scales = nullptr;
  const uint16_t* mins = nullptr;
  const uint8_t* widths = nullptr;         // interleaved: width of each token
  const uint32_t* word_offset = nullptr;   // interleaved: first word of each token
  int format = 0, bits = 0, rule = 0, group = 0;
  int row_words = 0;       // keys per channel: words per channel row; values: words per token
  int groups_per_row = 0;  // keys: ceil(tokens / group); values: D / group
  bool bf16 = false;
  float min_coef = 0.f;  // no min array: min = min_coef·scale (sym, ternary, scale-only rules)
};

template <int D>
__device__ __forceinline__ dec_tensor load_tensor(const tensor_view& tv, int tokens, int kv_head, bool is_key) {
  dec_tensor t;
  t.format = static_cast<int>(tv.format);
  t.bits = tv.storage_bits;
  t.rule = static_cast<int>(tv.rule);
  t.group = tv.group_size;
  t.bf16 = tv.dense_bf16;
  t.words = tv.words + kv_head * tv.head_stride_words;
  if (tv.format == tensor_format::interleaved) {  // asym per-token groups (docs/packing.md)
    t.scales = tv.scales + kv_head * tv.head_stride_groups;
    t.mins = tv.mins + kv_head * tv.head_stride_groups;
    t.widths = tv.bits + kv_head * tv.head_stride_tokens;
    t.word_offset = tv.word_offset + kv_head * tv.head_stride_tokens;
    t.groups_per_row = div_fast(D, tv.group_size);
  } else if (tv.format == tensor_format::packed) {
    t.scales = tv.scales + kv_head * tv.head_stride_groups;
    t.mins = tv.rule == dequant_rule::asym && tv.mins ? tv.mins + kv_head * tv.head_stride_groups : nullptr;
    t.min_coef = tv.rule == dequant_rule::sym       ? -static_cast<float>((1 << (tv.storage_bits - 1)) - 1)
                 : tv.rule == dequant_rule::ternary ? -1.f
                                                    : 0.f;
    const int c = 32 / tv.storage_bits;
    if (is_key) {
      t.row_words = div_fast(tokens + c - 1, c);
      t.groups_per_row = div_fast(tokens + tv.group_size - 1, tv.group_size);
    } else {
      t.row_words = div_fast(D, c);
      t.groups_per_row = div_fast(D, tv.group_size);
    }
  }
  return t;
}

// min of a group in fp32 (dequant rule folded: every format is code·scale + min)
__device__ __forceinline__ float group_min(const dec_tensor& t, float scale, int64_t idx) {
  if (t.mins) return __half2float(__ushort_as_half(ldg_u16(t.mins + idx)));  // asym
  return t.min_coef * scale;
}

template <int D>
struct dec_state {
  // B fragments: q (scaled by softmax scale·log2 e), ∘ key scale when folded; in the warp's
  // shared memory (word (ks·2 + h)·32 + lane), not registers: 16 fewer registers per thread.
  uint32_t* qf;
  __device__ uint32_t& qf_at(int ks, int h) { return qf[(ks * 2 + h) * 32 + (threadIdx.x & 31)]; }
  __device__ uint32_t qf_at(int ks, int h) const { return qf[(ks * 2 + h) * 32 + (threadIdx.x & 31)]; }
  float bias[2];           // Σ q·min of the folded key group, rows 2t, 2t+1
  int qf_seg = -2, qf_group = -1;
  float m[2], l[2], mm[2];  // running max (log2), partial sum, partial value-min term
  float acc[D / 16][4];
  int acc_bits = 0;  // acc holds Σ code·2^bit(acc_bits, channel) terms (0: true values)
};

}  // namespace wq::kernels::detail
