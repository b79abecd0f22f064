// Quantize + pack kernels. One thread per group: statistics pass, then codes pass (the second
// read hits L1/L2). Groups that own whole words write them directly; otherwise (3-bit, base-3
// with unaligned groups) codes are OR-ed / added into zeroed words, which gives the same bits.
#include "kernels/cuda/quantize_pack.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_query_cache.h"
#include "kernels/cuda/quantize_pack_fast.cuh"

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

namespace {

void validate(const pack_spec& sp, int channels) {
  if (sp.bits != 1 && sp.bits != 2 && sp.bits != 3 && sp.bits != 4 && sp.bits != 8)
    throw std::invalid_argument("quantize_pack: bits must be 1, 2, 3, 4 or 8 (got " + std::to_string(sp.bits) + ")");
  if (sp.group_size < 1) throw std::invalid_argument("quantize_pack: group_size must be >= 1");
  if (!sp.per_channel && channels % sp.group_size != 0)
    throw std::invalid_argument("quantize_pack: group_size " + std::to_string(sp.group_size) +
                                " does not divide channels " + std::to_string(channels));
}

bool words_shared_by_groups(const pack_spec& sp) { return sp.group_size % (sp.base3 ? 20 : 32 / sp.bits) != 0; }

// The general kernels (any format, any alignment) for one task.
void launch_general(const pack_task& t, input_dtype dtype, cudaStream_t stream) {
  const pack_spec& sp = t.spec;
  const int rows = sp.per_channel ? t.channels : t.tokens;
  const int64_t rw = packed_row_words(sp, t.tokens, t.channels), rg = packed_row_groups(sp, t.tokens, t.channels);
  const size_t staged_bytes = static_cast<size_t>(kRowsPerBlock) * (sp.group_size + 1) * 2;
  if (!sp.per_channel && dtype != input_dtype::f32 && staged_bytes <= 96 * 1024) {
    cached_query(0, [](int) {  // the dynamic shared-memory limit is raised per device
      WQ_CUDA_CHECK(cudaFuncSetAttribute(quantize_pack_rows_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, 96 * 1024));
      return 0;
    });
    const int64_t groups_per_head = static_cast<int64_t>(t.tokens) * rg;
    const dim3 grid(static_cast<unsigned>((groups_per_head + kRowsPerBlock - 1) / kRowsPerBlock), t.heads);
    quantize_pack_rows_kernel<<<grid, kRowsPerBlock, staged_bytes, stream>>>(
        sp, t.x, dtype, t.tokens, t.channels, t.x_head_stride, rw, words_shared_by_groups(sp), t.words, t.scales, t.mins);
  } else {
    quantize_pack_kernel<<<blocks_for(static_cast<int64_t>(t.heads) * rows * rg), 256, 0, stream>>>(
        sp, t.x, dtype, t.heads, t.tokens, t.channels, t.x_head_stride, rw, rg, words_shared_by_groups(sp), t.words, t.scales,
        t.mins);
  }
  WQ_CUDA_CHECK_LAUNCH();
}

}  // namespace

void quantize_pack_many(const pack_task* tasks, int count, input_dtype dtype, cudaStream_t stream) {
  std::vector<const pack_task*> live;
  for (int i = 0; i < count; ++i) {
    const pack_task& t = tasks[i];
    validate(t.spec, t.channels);
    if (t.heads < 1 || t.tokens < 1 || t.channels < 1) continue;
    if (words_shared_by_groups(t.spec)) {
      const int rows = t.spec.per_channel ? t.channels : t.tokens;
      const size_t bytes = static_cast<size_t>(t.heads) * rows * packed_row_words(t.spec, t.tokens, t.channels) * 4;
      WQ_CUDA_CHECK(cudaMemsetAsync(t.words, 0, bytes, stream));
    }
    live.push_back(&t);
  }
  for (const pack_task* t : fast_pack::launch(live, dtype, stream)) launch_general(*t, dtype, stream);
}

void quantize_pack(const pack_spec& sp, const void* x, input_dtype dtype, int heads, int tokens,
                   int channels, int64_t x_head_stride, uint32_t* words, uint16_t* scales,
                   uint16_t* mins, cudaStream_t stream) {
  const pack_task t{sp, x, heads, tokens, channels, x_head_stride, words, scales, mins};
  quantize_pack_many(&t, 1, dtype, stream);
}

void quantize_pack_interleaved(const void* x, input_dtype dtype, int heads, int tokens, int channels,
                               int64_t x_head_stride, const uint8_t* bits, const uint32_t* word_offset,
                               int64_t words_per_head, int group_size, uint32_t* words, uint16_t* scales,
                               uint16_t* mins, cudaStream_t stream) {
  if (group_size < 2 || channels % group_size != 0 || group_size % 2 != 0)
    throw std::invalid_argument("quantize_pack_interleaved: group_size must be even and divide channels");
  if (heads < 1 || tokens < 1) return;
  if (fast_pack::launch_interleaved(x, dtype, heads, tokens, channels, x_head_stride, bits, word_offset, words_per_head,
                                    group_size, words, scales, mins, stream))
    return;
  // 3-bit tokens may share words between groups: start from zero so OR-ing is exact.
  WQ_CUDA_CHECK(cudaMemsetAsync(words, 0, static_cast<size_t>(heads) * words_per_head * 4, stream));
  const int64_t threads = static_cast<int64_t>(heads) * tokens * (channels / group_size);
  quantize_interleaved_kernel<<<blocks_for(threads), 256, 0, stream>>>(
      x, dtype, heads, tokens, channels, x_head_stride, bits, word_offset, words_per_head, group_size,
      words, scales, mins);
  WQ_CUDA_CHECK_LAUNCH();
}

}  // namespace wq::kernels
