// Quantize + pack kernels. One thread per group: statistics pass, then codes pass (the second
// read hits L1/L2). Groups that own whole words write them directly; otherwise (3-bit, base-3
// with unaligned groups) codes are OR-ed / added into zeroed words, which gives the same bits.
#include "kernels/cuda/quantize_pack.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/cuda_check.h"

namespace wq::kernels {
namespace {

__device__ __forceinline__ float load_x(const void* x, input_dtype dt, int64_t i) {
  switch (dt) {
    case input_dtype::f16: return __half2float(static_cast<const __half*>(x)[i]);
    case input_dtype::bf16: return __bfloat162float(static_cast<const __nv_bfloat16*>(x)[i]);
    default: return static_cast<const float*>(x)[i];
  }
}
__device__ __forceinline__ float rh(float v) { return __half2float(__float2half_rn(v)); }
__device__ __forceinline__ uint16_t hbits(float v) { return __half_as_ushort(__float2half_rn(v)); }
__device__ __forceinline__ uint32_t clamp_code(float c, float hi) {
  return static_cast<uint32_t>(fminf(fmaxf(c, 0.0f), hi));
}

struct group_ref {
  const void* x;
  input_dtype dt;
  int64_t base, stride;
  int n;
  const uint16_t* staged = nullptr;  // 16-bit copy of the group in shared memory, if staged
  __device__ float at(int i) const {
    if (staged) {
      return dt == input_dtype::bf16 ? __bfloat162float(__ushort_as_bfloat16(staged[i]))
                                     : __half2float(__ushort_as_half(staged[i]));
    }
    return load_x(x, dt, base + static_cast<int64_t>(i) * stride);
  }
};

// Computes (scale, min) and calls emit(i, code) for every element: core/quant group_quant.cpp
// rule by rule (same types, same order of accumulation).
template <class Emit>
__device__ void quantize_group_dev(const pack_spec& sp, const group_ref& gr, uint16_t& s_out,
                                   uint16_t& m_out, Emit emit) {
  const int n = gr.n;
  m_out = 0;
  if (sp.ternary) {
    double sum_abs = 0.0, max_abs = 0.0;
    for (int i = 0; i < n; ++i) {
      const double a = fabs(static_cast<double>(gr.at(i)));
      sum_abs += a;
      max_abs = fmax(max_abs, a);
    }
    const double threshold = static_cast<double>(sp.ternary_gamma) * (sum_abs / n);
    double sum_nonzero = 0.0;
    long count_nonzero = 0;
    for (int i = 0; i < n; ++i) {
      const float v = gr.at(i);
      int t = 0;
      if (v > threshold) t = 1;
      else if (v < -threshold) t = -1;
      emit(i, static_cast<uint32_t>(t + 1));
      if (t != 0) {
        sum_nonzero += fabs(static_cast<double>(v));
        ++count_nonzero;
      }
    }
    double scale = 0.0;
    switch (sp.ternary_scale_rule) {
      case 0: scale = count_nonzero ? sum_nonzero / count_nonzero : 0.0; break;
      case 1: scale = sum_abs / n; break;
      case 2: scale = max_abs; break;
      default: scale = 1.0; break;
    }
    s_out = hbits(static_cast<float>(scale));
    return;
  }
  if (sp.bits == 1 && sp.sign_meanabs) {
    double sum_abs = 0.0;
    for (int i = 0; i < n; ++i) {
      const float v = gr.at(i);
      sum_abs += fabs(static_cast<double>(v));
      emit(i, v >= 0.0f ? 1u : 0u);
    }
    s_out = hbits(static_cast<float>(sum_abs / n));
    return;
  }
  if (sp.symmetric) {
    const float qmax = static_cast<float>((1 << (sp.bits - 1)) - 1);
    float amax = 0.0f;
    for (int i = 0; i < n; ++i) amax = fmaxf(amax, fabsf(gr.at(i)));
    s_out = hbits(__fdiv_rn(amax, qmax));
    const float s = __half2float(__ushort_as_half(s_out));
    for (int i = 0; i < n; ++i) {
      const float q = s == 0.0f ? 0.0f : rintf(__fdiv_rn(gr.at(i), s));
      emit(i, clamp_code(q + qmax, 2.0f * qmax));
    }
    return;
  }
  const float top = static_cast<float>((1u << sp.bits) - 1u);
  if (sp.kivi_fp16) {
    float lo = rh(gr.at(0)), hi = lo;
    for (int i = 1; i < n; ++i) {
      const float v = rh(gr.at(i));
      lo = fminf(lo, v);
      hi = fmaxf(hi, v);
    }
    const float s = rh(__fdiv_rn(rh(__fsub_rn(hi, lo)), top));
    s_out = hbits(s);
    m_out = hbits(lo);
    for (int i = 0; i < n; ++i) {
      if (s == 0.0f) { emit(i, 0u); continue; }
      const float q = rh(__fdiv_rn(rh(__fsub_rn(rh(gr.at(i)), lo)), s));
      emit(i, static_cast<uint32_t>(rintf(fminf(fmaxf(q, 0.0f), top))));
    }
    return;
  }
  float lo = gr.at(0), hi = lo;
  for (int i = 1; i < n; ++i) {
    const float v = gr.at(i);
    lo = fminf(lo, v);
    hi = fmaxf(hi, v);
  }
  s_out = hbits(__fdiv_rn(__fsub_rn(hi, lo), top));
  m_out = hbits(lo);
  const float s = __half2float(__ushort_as_half(s_out)), m = __half2float(__ushort_as_half(m_out));
  for (int i = 0; i < n; ++i) {
    emit(i, s == 0.0f ? 0u : clamp_code(rintf(__fdiv_rn(__fsub_rn(gr.at(i), m), s)), top));
  }
}

__device__ __constant__ uint32_t kPow3Q[20] = {
    1u, 3u, 9u, 27u, 81u, 243u, 729u, 2187u, 6561u, 19683u, 59049u, 177147u, 531441u,
    1594323u, 4782969u, 14348907u, 43046721u, 129140163u, 387420489u, 1162261467u};

// Accumulates codes of consecutive slots into whole words; words shared with another group are
// combined atomically (disjoint bits / trits, so OR and ADD give the exact packed word).
struct word_writer {
  uint32_t* row;  // first word of the row
  int c, bits;
  bool base3, shared_edges;
  int cur = -1;
  uint32_t acc = 0;
  bool cur_shared = false;
  __device__ void flush() {
    if (cur < 0) return;
    if (cur_shared) {
      if (base3) atomicAdd(row + cur, acc); else atomicOr(row + cur, acc);
    } else {
      row[cur] = acc;
    }
  }
  // slot index within the row; first/last: the word range of this group
  __device__ void put(int idx, uint32_t code, int first_idx, int last_idx) {
    const int w = idx / c, slot = idx - w * c;
    if (w != cur) {
      flush();
      cur = w;
      acc = 0;
      cur_shared = shared_edges && (w * c < first_idx || (w + 1) * c - 1 > last_idx);
    }
    acc += base3 ? code * kPow3Q[slot] : code << (bits * slot);
  }
};

__global__ void quantize_pack_kernel(pack_spec sp, const void* x, input_dtype dt, int heads, int tokens,
                                     int channels, int64_t x_head_stride, int64_t row_words,
                                     int64_t row_groups, bool shared_edges, uint32_t* words,
                                     uint16_t* scales, uint16_t* mins) {
  const int rows = sp.per_channel ? channels : tokens;
  const int64_t total = static_cast<int64_t>(heads) * rows * row_groups;
  const int c = sp.base3 ? 20 : 32 / sp.bits;
  const int row_len = sp.per_channel ? tokens : channels;
  for (int64_t id = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; id < total;
       id += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // Per-channel: consecutive threads take consecutive channels of one token group (coalesced).
    int head, row, gi;
    if (sp.per_channel) {
      row = static_cast<int>(id % channels);
      const int64_t r = id / channels;
      gi = static_cast<int>(r % row_groups);
      head = static_cast<int>(r / row_groups);
    } else {
      gi = static_cast<int>(id % row_groups);
      const int64_t r = id / row_groups;
      row = static_cast<int>(r % rows);
      head = static_cast<int>(r / rows);
    }
    const int first = gi * sp.group_size;
    const int n = min(sp.group_size, row_len - first);
    group_ref gr{x, dt, 0, 0, n};
    if (sp.per_channel) {
      gr.base = head * x_head_stride + static_cast<int64_t>(first) * channels + row;
      gr.stride = channels;
    } else {
      gr.base = head * x_head_stride + static_cast<int64_t>(row) * channels + first;
      gr.stride = 1;
    }
    word_writer ww{words + (static_cast<int64_t>(head) * rows + row) * row_words, c, sp.bits, sp.base3, shared_edges};
    uint16_t s16 = 0, m16 = 0;
    const int last = first + n - 1;
    quantize_group_dev(sp, gr, s16, m16, [&](int i, uint32_t code) { ww.put(first + i, code, first, last); });
    ww.flush();
    const int64_t gidx = (static_cast<int64_t>(head) * rows + row) * row_groups + gi;
    scales[gidx] = s16;
    if (mins) mins[gidx] = m16;
  }
}

__global__ void quantize_interleaved_kernel(const void* x, input_dtype dt, int heads, int tokens,
                                            int channels, int64_t x_head_stride, const uint8_t* bits,
                                            const uint32_t* word_offset, int64_t words_per_head,
                                            int group_size, uint32_t* words, uint16_t* scales,
                                            uint16_t* mins) {
  const int groups = channels / group_size;
  const int64_t total = static_cast<int64_t>(heads) * tokens * groups;
  for (int64_t id = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; id < total;
       id += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int gi = static_cast<int>(id % groups);
    const int t = static_cast<int>((id / groups) % tokens);
    const int head = static_cast<int>(id / (static_cast<int64_t>(groups) * tokens));
    const int b = bits[t];
    uint32_t* row = words + head * words_per_head + word_offset[t];
    const int64_t xbase = head * x_head_stride + static_cast<int64_t>(t) * channels + gi * group_size;
    const int64_t sidx = (static_cast<int64_t>(head) * tokens + t) * groups + gi;
    if (b == 16) {  // fp16 pairs, channel 2j in the low half of word j
      for (int j = 0; j < group_size; j += 2) {
        const uint32_t lo = hbits(load_x(x, dt, xbase + j)), hi = hbits(load_x(x, dt, xbase + j + 1));
        row[(gi * group_size + j) / 2] = lo | (hi << 16);
      }
      scales[sidx] = 0;
      mins[sidx] = 0;
      continue;
    }
    pack_spec sp;
    sp.bits = b;
    sp.group_size = group_size;
    const int c = 32 / b;  // 3-bit: 10 codes per word
    const int first = gi * group_size, last = first + group_size - 1;
    word_writer ww{row, c, b, false, group_size % c != 0};
    uint16_t s16 = 0, m16 = 0;
    group_ref gr{x, dt, xbase, 1, group_size};
    quantize_group_dev(sp, gr, s16, m16, [&](int i, uint32_t code) { ww.put(first + i, code, first, last); });
    ww.flush();
    scales[sidx] = s16;
    mins[sidx] = m16;
  }
}

// Per-token groups (a group = group_size consecutive channels of one token): one thread per
// group reading its own 64-256 contiguous bytes makes every warp load touch 32 cache lines.
// Here a block first copies its 128 consecutive groups (one contiguous run of memory) into
// shared memory with coalesced loads, then each thread quantizes its group from there; rows
// are padded by one element so the per-thread reads hit distinct banks.
constexpr int kRowsPerBlock = 128;

__global__ void quantize_pack_rows_kernel(pack_spec sp, const void* x, input_dtype dt, int tokens, int channels,
                                          int64_t x_head_stride, int64_t row_words, bool shared_edges,
                                          uint32_t* words, uint16_t* scales, uint16_t* mins) {
  extern __shared__ uint16_t staged[];
  const int G = sp.group_size, stride = G + 1;
  const int groups_per_token = channels / G;
  const int64_t groups_per_head = static_cast<int64_t>(tokens) * groups_per_token;
  const int head = blockIdx.y;
  const int64_t first_group = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock;
  const int n_groups = static_cast<int>((groups_per_head - first_group < kRowsPerBlock ? groups_per_head - first_group : kRowsPerBlock));
  const int64_t base = head * x_head_stride + first_group * G;  // groups of one head are contiguous
  const uint16_t* src = static_cast<const uint16_t*>(x) + base;
  for (int i = threadIdx.x; i < n_groups * G; i += blockDim.x) staged[(i / G) * stride + (i % G)] = src[i];
  __syncthreads();
  if (threadIdx.x >= n_groups) return;
  const int64_t gid = first_group + threadIdx.x;
  const int token = static_cast<int>(gid / groups_per_token), gi = static_cast<int>(gid % groups_per_token);
  group_ref gr{x, dt, 0, 1, G, staged + threadIdx.x * stride};
  const int c = sp.base3 ? 20 : 32 / sp.bits;
  word_writer ww{words + (static_cast<int64_t>(head) * tokens + token) * row_words, c, sp.bits, sp.base3, shared_edges};
  uint16_t s16 = 0, m16 = 0;
  const int first = gi * G, last = first + G - 1;
  quantize_group_dev(sp, gr, s16, m16, [&](int i, uint32_t code) { ww.put(first + i, code, first, last); });
  ww.flush();
  const int64_t sidx = (static_cast<int64_t>(head) * tokens + token) * groups_per_token + gi;
  scales[sidx] = s16;
  if (mins) mins[sidx] = m16;
}

// ---- Fast paths: asymmetric min/max (fp32 rule), 1/2/4/8 bits, fp16/bf16 input, groups that
// own whole words. Same arithmetic as quantize_group_dev, so the output is bit-identical.

// Codes: round((x − m) / s) must equal rintf(__fdiv_rn(x − m, s)) bit for bit. A reciprocal
// product is within 2 ulp of the quotient, so it rounds the same way unless it lies within a
// hair of x.5; then that element takes the exact division. (Deciding per group made half the
// warps run the division for every element: one of the 256-512 elements of a warp was near
// x.5, and the divisions were most of the kernels' instructions.) Rounding and the integer
// come from adding 1.5·2^23 (round to nearest even, as rintf; the code is the low mantissa
// bits), clamping to [0, top] first (integer bounds: same result as clamping after).
__device__ __forceinline__ uint32_t code_of(float d, float s, float r, float top) {
  constexpr float kMagic = 12582912.f;  // 1.5·2^23
  float q = d * r;
  if (fabsf(q - ((q + kMagic) - kMagic)) > 0.499f) q = __fdiv_rn(d, s);
  return (__float_as_uint(fminf(fmaxf(q, 0.f), top) + kMagic) & 0xFFu);
}

__device__ __forceinline__ void unpack8(const uint4& raw, bool bf16, float (&v)[8]) {
  const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if (bf16) {
      v[2 * i] = __uint_as_float(w[i] << 16);
      v[2 * i + 1] = __uint_as_float(w[i] & 0xFFFF0000u);
    } else {
      const float2 f = __half22float2(*reinterpret_cast<const __half2*>(&w[i]));
      v[2 * i] = f.x;
      v[2 * i + 1] = f.y;
    }
  }
}

// Per-token groups: one thread per 8 consecutive channels (one 16-byte load), G / 8 lanes per
// group reduce min/max by shuffles, each thread packs its 8 codes (8·b bits) in one store.
template <int B>
__global__ void __launch_bounds__(256) pack_rows_fast_kernel(const uint16_t* x, bool bf16, int heads, int tokens,
                                                             int channels, int64_t x_head_stride, int group,
                                                             uint32_t* words, uint16_t* scales, uint16_t* mins) {
  const int oct_per_row = channels >> 3;
  const int64_t total = static_cast<int64_t>(heads) * tokens * oct_per_row;
  const int lanes_per_group = group >> 3;
  const float top = static_cast<float>((1u << B) - 1u);
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  // Octet o: its row (head·tokens + token) and octet within the row, and its 16 bytes. 32-bit
  // index math (the launcher checks total < 2^31): 64-bit divisions are subroutine calls.
  auto fetch = [&](int64_t o, uint32_t& row32, int& oc, uint4& raw) {
    raw = make_uint4(0u, 0u, 0u, 0u);
    const uint32_t o32 = o < total ? static_cast<uint32_t>(o) : 0u;
    row32 = o32 / static_cast<uint32_t>(oct_per_row);
    oc = static_cast<int>(o32 - row32 * static_cast<uint32_t>(oct_per_row));
    const uint32_t h32 = row32 / static_cast<uint32_t>(tokens);
    const int64_t h = h32, t = row32 - h32 * static_cast<uint32_t>(tokens);
    if (o < total) raw = __ldg(reinterpret_cast<const uint4*>(x + h * x_head_stride + t * channels + oc * 8));
  };
  // One octet ahead: the next 16-byte load is in flight while this one is quantized (a single
  // load per thread in flight left the kernel latency-bound).
  int64_t o = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  uint32_t nrow32;
  int noc;
  uint4 nraw;
  fetch(o, nrow32, noc, nraw);
  for (; o - threadIdx.x % 32 < total; o += stride) {
    const bool ok = o < total;
    const int64_t row = nrow32;
    const int oc = noc;
    const uint4 raw = nraw;
    fetch(o + stride, nrow32, noc, nraw);
    float v[8];
    unpack8(raw, bf16, v);
    float lo = v[0], hi = v[0];
#pragma unroll
    for (int i = 1; i < 8; ++i) {
      lo = fminf(lo, v[i]);
      hi = fmaxf(hi, v[i]);
    }
    for (int off = 1; off < lanes_per_group; off <<= 1) {
      lo = fminf(lo, __shfl_xor_sync(0xffffffffu, lo, off));
      hi = fmaxf(hi, __shfl_xor_sync(0xffffffffu, hi, off));
    }
    if (!ok) continue;
    const uint16_t s16 = hbits(__fdiv_rn(__fsub_rn(hi, lo), top)), m16 = hbits(lo);
    const float s = __half2float(__ushort_as_half(s16)), m = __half2float(__ushort_as_half(m16));
    const float r = s == 0.f ? 0.f : __frcp_rn(s);
    using bits_t = std::conditional_t<(8 * B > 32), uint64_t, uint32_t>;  // 64-bit shifts only for 8 bits
    bits_t packed = 0;
    if (s != 0.f) {
#pragma unroll
      for (int i = 0; i < 8; ++i) packed |= static_cast<bits_t>(code_of(__fsub_rn(v[i], m), s, r, top)) << (B * i);
    }
    // the thread's 8·B bits start at bit oc·8·B of the token's row of channels·B/32 words
    char* dst = reinterpret_cast<char*>(words + row * (channels * B / 32)) + oc * B;
    if constexpr (B == 1) *reinterpret_cast<uint8_t*>(dst) = static_cast<uint8_t>(packed);
    else if constexpr (B == 2) *reinterpret_cast<uint16_t*>(dst) = static_cast<uint16_t>(packed);
    else if constexpr (B == 4) *reinterpret_cast<uint32_t*>(dst) = static_cast<uint32_t>(packed);
    else *reinterpret_cast<uint2*>(dst) = make_uint2(static_cast<uint32_t>(packed), static_cast<uint32_t>(static_cast<uint64_t>(packed) >> 32));
    if ((oc & (lanes_per_group - 1)) == 0) {
      const int64_t gidx = row * (channels / group) + oc / lanes_per_group;
      scales[gidx] = s16;
      mins[gidx] = m16;
    }
  }
}

// Per-channel groups: a block covers 32·CPL channels × one group of G tokens; warp w takes the
// w-th run of c = 32 / B tokens (one output word per channel), lane l channels CPL·l … (CPL = 2:
// one 4-byte load of a channel pair, 128 contiguous bytes per warp load). Min/max meet in
// shared memory; codes come from registers (one read of x).
template <int B, int CPL>
__global__ void __launch_bounds__(1024) pack_channels_fast_kernel(const uint16_t* x, bool bf16, int tokens,
                                                                  int channels, int64_t x_head_stride, int group,
                                                                  int64_t row_words, int64_t row_groups,
                                                                  uint32_t* words, uint16_t* scales, uint16_t* mins) {
  constexpr int c = 32 / B;
  constexpr int kCh = 32 * CPL;  // channels per block
  __shared__ float red_lo[32][kCh + 1], red_hi[32][kCh + 1];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
  const int ch0 = blockIdx.x * kCh + lane * CPL;
  const int gi = blockIdx.y, h = blockIdx.z;
  const int first = gi * group;
  const int n = min(group, tokens - first);
  const int t_lo = w * c;  // within the group
  const bool ch_ok = ch0 < channels;  // CPL = 2: channels is even
  const uint16_t* src = x + h * x_head_stride + static_cast<int64_t>(first) * channels + ch0;
  float v[c][CPL];
  float lo[CPL], hi[CPL];
#pragma unroll
  for (int e = 0; e < CPL; ++e) {
    lo[e] = INFINITY;
    hi[e] = -INFINITY;
  }
#pragma unroll
  for (int i = 0; i < c; ++i) {
    const int tt = t_lo + i;
    uint32_t bits[CPL];
#pragma unroll
    for (int e = 0; e < CPL; ++e) bits[e] = 0u;
    const bool ok = ch_ok && tt < n;
    if (ok) {
      if constexpr (CPL == 2) {
        const uint32_t pr = __ldg(reinterpret_cast<const unsigned int*>(src + static_cast<int64_t>(tt) * channels));
        bits[0] = pr & 0xFFFFu;
        bits[1] = pr >> 16;
      } else {
        bits[0] = __ldg(src + static_cast<int64_t>(tt) * channels);
      }
    }
#pragma unroll
    for (int e = 0; e < CPL; ++e) {
      v[i][e] = bf16 ? __uint_as_float(bits[e] << 16) : __half2float(__ushort_as_half(static_cast<uint16_t>(bits[e])));
      if (ok) {
        lo[e] = fminf(lo[e], v[i][e]);
        hi[e] = fmaxf(hi[e], v[i][e]);
      }
    }
  }
#pragma unroll
  for (int e = 0; e < CPL; ++e) {
    red_lo[w][lane * CPL + e] = lo[e];
    red_hi[w][lane * CPL + e] = hi[e];
  }
  __syncthreads();
#pragma unroll
  for (int e = 0; e < CPL; ++e) {
    lo[e] = red_lo[0][lane * CPL + e];
    hi[e] = red_hi[0][lane * CPL + e];
    for (int k = 1; k < nw; ++k) {
      lo[e] = fminf(lo[e], red_lo[k][lane * CPL + e]);
      hi[e] = fmaxf(hi[e], red_hi[k][lane * CPL + e]);
    }
  }
  if (!ch_ok || t_lo >= n) return;
  const float top = static_cast<float>((1u << B) - 1u);
#pragma unroll
  for (int e = 0; e < CPL; ++e) {
    const uint16_t s16 = hbits(__fdiv_rn(__fsub_rn(hi[e], lo[e]), top)), m16 = hbits(lo[e]);
    const float s = __half2float(__ushort_as_half(s16)), m = __half2float(__ushort_as_half(m16));
    const float r = s == 0.f ? 0.f : __frcp_rn(s);
    uint32_t word = 0;
    if (s != 0.f) {
#pragma unroll
      for (int i = 0; i < c; ++i) {
        if (t_lo + i < n) word |= code_of(__fsub_rn(v[i][e], m), s, r, top) << (B * i);
      }
    }
    const int64_t crow = static_cast<int64_t>(h) * channels + ch0 + e;
    words[crow * row_words + (first + t_lo) / c] = word;
    if (w == 0) {
      scales[crow * row_groups + gi] = s16;
      mins[crow * row_groups + gi] = m16;
    }
  }
}

bool fast_pack_ok(const pack_spec& sp, input_dtype dt) {
  return !sp.ternary && !sp.symmetric && !sp.sign_meanabs && !sp.kivi_fp16 && !sp.base3 && dt != input_dtype::f32 &&
         (sp.bits == 1 || sp.bits == 2 || sp.bits == 4 || sp.bits == 8) && sp.group_size % (32 / sp.bits) == 0;
}

int blocks_for(int64_t threads) {
  const int64_t b = (threads + 255) / 256;
  return static_cast<int>(b < 1 ? 1 : (b > 65535 * 4 ? 65535 * 4 : b));
}

}  // namespace

int64_t packed_row_words(const pack_spec& sp, int tokens, int channels) {
  const int c = sp.base3 ? 20 : 32 / sp.bits;
  const int len = sp.per_channel ? tokens : channels;
  return (len + c - 1) / c;
}

int64_t packed_row_groups(const pack_spec& sp, int tokens, int channels) {
  const int len = sp.per_channel ? tokens : channels;
  return (len + sp.group_size - 1) / sp.group_size;
}

void quantize_pack(const pack_spec& sp, const void* x, input_dtype dtype, int heads, int tokens,
                   int channels, int64_t x_head_stride, uint32_t* words, uint16_t* scales,
                   uint16_t* mins, cudaStream_t stream) {
  if (sp.bits != 1 && sp.bits != 2 && sp.bits != 3 && sp.bits != 4 && sp.bits != 8)
    throw std::invalid_argument("quantize_pack: bits must be 1, 2, 3, 4 or 8 (got " + std::to_string(sp.bits) + ")");
  if (sp.group_size < 1) throw std::invalid_argument("quantize_pack: group_size must be >= 1");
  if (!sp.per_channel && channels % sp.group_size != 0)
    throw std::invalid_argument("quantize_pack: group_size " + std::to_string(sp.group_size) +
                                " does not divide channels " + std::to_string(channels));
  if (heads < 1 || tokens < 1 || channels < 1) return;
  const int c = sp.base3 ? 20 : 32 / sp.bits;
  const int rows = sp.per_channel ? channels : tokens;
  const int64_t rw = packed_row_words(sp, tokens, channels), rg = packed_row_groups(sp, tokens, channels);
  const bool shared_edges = sp.group_size % c != 0;
  if (shared_edges)
    WQ_CUDA_CHECK(cudaMemsetAsync(words, 0, static_cast<size_t>(heads) * rows * rw * 4, stream));
  if (fast_pack_ok(sp, dtype)) {
    const bool bf = dtype == input_dtype::bf16;
    const uint16_t* xs = static_cast<const uint16_t*>(x);
    const int G = sp.group_size;
    if (sp.per_channel && G / (32 / sp.bits) <= 32) {
      // Channel pairs (4-byte loads) when every pair is 4-byte aligned; not for 1 bit (64 values
      // per thread would spill under the 1024-thread register cap).
      const bool pairs = reinterpret_cast<uintptr_t>(x) % 4 == 0 && channels % 2 == 0 && x_head_stride % 2 == 0 &&
                         sp.bits >= 2;
      const int per_block = pairs ? 64 : 32;
      const dim3 grid(static_cast<unsigned>((channels + per_block - 1) / per_block), static_cast<unsigned>(rg),
                      static_cast<unsigned>(heads));
      const int threads = 32 * ((G + 32 / sp.bits - 1) / (32 / sp.bits));
#define WQ_PACK_CH(B)                                                                                                   \
  if (pairs) pack_channels_fast_kernel<B, 2><<<grid, threads, 0, stream>>>(xs, bf, tokens, channels, x_head_stride, G, \
                                                                           rw, rg, words, scales, mins);               \
  else pack_channels_fast_kernel<B, 1><<<grid, threads, 0, stream>>>(xs, bf, tokens, channels, x_head_stride, G, rw,   \
                                                                     rg, words, scales, mins)
      switch (sp.bits) { case 1: WQ_PACK_CH(1); break; case 2: WQ_PACK_CH(2); break; case 4: WQ_PACK_CH(4); break; default: WQ_PACK_CH(8); break; }
#undef WQ_PACK_CH
      WQ_CUDA_CHECK_LAUNCH();
      return;
    }
    const bool aligned = reinterpret_cast<uintptr_t>(x) % 16 == 0 && x_head_stride % 8 == 0 && channels % 8 == 0;
    const int64_t octets = static_cast<int64_t>(heads) * tokens * (channels / 8);
    if (!sp.per_channel && aligned && G % 8 == 0 && G <= 256 && ((G / 8) & (G / 8 - 1)) == 0 &&
        octets < (int64_t{1} << 31)) {
      const int blocks = static_cast<int>(std::min<int64_t>((octets + 255) / 256, 132 * 16));
#define WQ_PACK_ROW(B) pack_rows_fast_kernel<B><<<blocks, 256, 0, stream>>>(xs, bf, heads, tokens, channels, x_head_stride, G, words, scales, mins)
      switch (sp.bits) { case 1: WQ_PACK_ROW(1); break; case 2: WQ_PACK_ROW(2); break; case 4: WQ_PACK_ROW(4); break; default: WQ_PACK_ROW(8); break; }
#undef WQ_PACK_ROW
      WQ_CUDA_CHECK_LAUNCH();
      return;
    }
  }
  const size_t staged_bytes = static_cast<size_t>(kRowsPerBlock) * (sp.group_size + 1) * 2;
  if (!sp.per_channel && dtype != input_dtype::f32 && staged_bytes <= 96 * 1024) {
    static bool configured = false;  // raise the dynamic shared-memory limit once per process
    if (!configured) {
      WQ_CUDA_CHECK(cudaFuncSetAttribute(quantize_pack_rows_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 96 * 1024));
      configured = true;
    }
    const int64_t groups_per_head = static_cast<int64_t>(tokens) * rg;
    const dim3 grid(static_cast<unsigned>((groups_per_head + kRowsPerBlock - 1) / kRowsPerBlock), heads);
    quantize_pack_rows_kernel<<<grid, kRowsPerBlock, staged_bytes, stream>>>(sp, x, dtype, tokens, channels, x_head_stride,
                                                                             rw, shared_edges, words, scales, mins);
  } else {
    quantize_pack_kernel<<<blocks_for(static_cast<int64_t>(heads) * rows * rg), 256, 0, stream>>>(
        sp, x, dtype, heads, tokens, channels, x_head_stride, rw, rg, shared_edges, words, scales, mins);
  }
  WQ_CUDA_CHECK_LAUNCH();
}

void quantize_pack_interleaved(const void* x, input_dtype dtype, int heads, int tokens, int channels,
                               int64_t x_head_stride, const uint8_t* bits, const uint32_t* word_offset,
                               int64_t words_per_head, int group_size, uint32_t* words, uint16_t* scales,
                               uint16_t* mins, cudaStream_t stream) {
  if (group_size < 2 || channels % group_size != 0 || group_size % 2 != 0)
    throw std::invalid_argument("quantize_pack_interleaved: group_size must be even and divide channels");
  if (heads < 1 || tokens < 1) return;
  // 3-bit tokens may share words between groups: start from zero so OR-ing is exact.
  WQ_CUDA_CHECK(cudaMemsetAsync(words, 0, static_cast<size_t>(heads) * words_per_head * 4, stream));
  const int64_t threads = static_cast<int64_t>(heads) * tokens * (channels / group_size);
  quantize_interleaved_kernel<<<blocks_for(threads), 256, 0, stream>>>(
      x, dtype, heads, tokens, channels, x_head_stride, bits, word_offset, words_per_head, group_size,
      words, scales, mins);
  WQ_CUDA_CHECK_LAUNCH();
}

}  // namespace wq::kernels
