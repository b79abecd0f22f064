// Split-sequence (flash-decoding) attention over a segment table: every block streams a range
// of 64-token tiles of one sequence and KV head, dequantizes codes in registers straight into
// tensor-core fragments, keeps an online softmax per warp, and writes one partial (o, lse)
// that attention_combine_kernel reduces. One pass over the segment table covers uniform,
// WindowQuant (segments of different widths), token-interleaved and the dense tail.
//
// Math (q already scaled by softmax_scale·log2 e):
//   keys per channel:  s = Σ_c code·(q_c·scale_c) + Σ_c q_c·min_c   (scale folded into q)
//   keys per token:    s = Σ_blocks scale_t·(Σ_c code·q_c) + min_t·(Σ_c q_c)
//   values per token:  o_c = Σ_t code·(p_t·scale_t) + Σ_t p_t·min_t   (scale folded into p)
// so fragments carry exact integer codes and no per-element dequantization FMA is needed.
#pragma once

#include "kernels/cuda/attention_stage.cuh"

namespace wq::kernels::detail {

struct kernel_args {
  const void* q;
  const segment_view* segments;  // [batch][num_segments]
  float* o_part;                 // [batch·kv_heads][rows][splits][D]
  float* lse_part;               // [batch·kv_heads][rows][splits] (log2 units)
  int q_heads, kv_heads, q_tokens, num_segments, splits, tiles_per_split, rows;
  float scale_log2;
  bool bf16;
};

template <int D, int NT>
struct warp_state {
  uint32_t q[NT][D / 16][2];   // fp16 q (scaled), B fragments
  uint32_t qf[NT][D / 16][2];  // q∘scale of the current per-channel key group
  // Σ over each 16-channel block of q, [row][block] in shared memory (only the per-token key
  // paths read it; registers are the scarce resource here).
  const float* q_block_sum = nullptr;
  float bias[NT][2];           // Σ_c q_c·min_c of the current per-channel key group
  int qf_segment = -1, qf_group = -1;
  float m[NT][2], l[NT][2];    // running max (log2) and partial sum, rows 2t, 2t+1
  float acc[D / 16][NT][4];    // O^T fragments: channels 16mt + g (+8), rows 2t, 2t+1
};

// ---- QK: S^T[token][row] for this warp's 16 tokens -------------------------------------
template <int D, int NT, int FMT>
__device__ __forceinline__ void qk_per_channel(const stage_buffer<D>& st, const tile_geom& g,
                                               const tensor_view& kv, int seg, int t0,
                                               warp_state<D, NT>& w, float (&s)[NT][4]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const int group = div_fast(t0 + warp * 16, kv.group_size);  // group_size % 16 == 0: one per warp
  if (group != w.qf_group || seg != w.qf_segment) {
    w.qf_group = group;
    w.qf_segment = seg;
    const int gi = group - g.first_group;
    float part[NT];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) part[nt] = 0.f;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      const int ch = ks * 16 + 2 * tq;
      const __half2 s01 = *reinterpret_cast<const __half2*>(&st.k_scale[gi * D + ch]);
      const __half2 s89 = *reinterpret_cast<const __half2*>(&st.k_scale[gi * D + ch + 8]);
      const float2 m01 = __half22float2(*reinterpret_cast<const __half2*>(&st.k_min[gi * D + ch]));
      const float2 m89 = __half22float2(*reinterpret_cast<const __half2*>(&st.k_min[gi * D + ch + 8]));
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        w.qf[nt][ks][0] = as_u32(__hmul2(as_h2(w.q[nt][ks][0]), s01));
        w.qf[nt][ks][1] = as_u32(__hmul2(as_h2(w.q[nt][ks][1]), s89));
        const float2 q01 = __half22float2(as_h2(w.q[nt][ks][0]));
        const float2 q89 = __half22float2(as_h2(w.q[nt][ks][1]));
        part[nt] += q01.x * m01.x + q01.y * m01.y + q89.x * m89.x + q89.y * m89.y;
      }
    }
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      part[nt] += __shfl_xor_sync(0xffffffffu, part[nt], 1);
      part[nt] += __shfl_xor_sync(0xffffffffu, part[nt], 2);  // row gq complete
      w.bias[nt][0] = __shfl_sync(0xffffffffu, part[nt], 8 * tq);      // row 2t
      w.bias[nt][1] = __shfl_sync(0xffffffffu, part[nt], 8 * tq + 4);  // row 2t+1
    }
  }
  const int i0 = g.first_slot + warp * 16 + gq, i1 = i0 + 8;
  float c[NT][4] = {};
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
    const uint32_t* r0 = st.k_words + (ks * 16 + 2 * tq) * g.row_stride;
    const uint32_t* r1 = r0 + g.row_stride;
    const uint32_t* r8 = r0 + 8 * g.row_stride;
    const uint32_t* r9 = r8 + g.row_stride;
    const uint32_t a[4] = {pair_rows<FMT>(r0, r1, i0), pair_rows<FMT>(r0, r1, i1),
                           pair_rows<FMT>(r8, r9, i0), pair_rows<FMT>(r8, r9, i1)};
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) mma_16816(c[nt], a, w.qf[nt][ks][0], w.qf[nt][ks][1]);
  }
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    s[nt][0] = c[nt][0] + w.bias[nt][0];
    s[nt][1] = c[nt][1] + w.bias[nt][1];
    s[nt][2] = c[nt][2] + w.bias[nt][0];
    s[nt][3] = c[nt][3] + w.bias[nt][1];
  }
}

// Keys stored token-major (uniform per-token groups, or interleaved widths when FMT == 0).
template <int D, int NT, int FMT>
__device__ __forceinline__ void qk_per_token(const stage_buffer<D>& st, const tile_geom& g,
                                             const tensor_view& kv, warp_state<D, NT>& w,
                                             float (&s)[NT][4]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const int tok0 = warp * 16 + gq, tok1 = tok0 + 8;
  const uint32_t* row0;
  const uint32_t* row1;
  int bits0 = FMT, bits1 = FMT;
  if constexpr (FMT == kFmtRuntime) {
    row0 = st.k_words + st.k_row_offset[tok0];
    row1 = st.k_words + st.k_row_offset[tok1];
    bits0 = st.k_row_bits[tok0];
    bits1 = st.k_row_bits[tok1];
  } else {
    row0 = st.k_words + tok0 * g.row_stride;
    row1 = st.k_words + tok1 * g.row_stride;
  }
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
    const int ch = ks * 16 + 2 * tq;
    uint32_t a[4];
    if constexpr (FMT == kFmtRuntime) {
      a[0] = codes_to_half2(code_at_runtime(row0, ch, bits0), code_at_runtime(row0, ch + 1, bits0));
      a[1] = codes_to_half2(code_at_runtime(row1, ch, bits1), code_at_runtime(row1, ch + 1, bits1));
      a[2] = codes_to_half2(code_at_runtime(row0, ch + 8, bits0), code_at_runtime(row0, ch + 9, bits0));
      a[3] = codes_to_half2(code_at_runtime(row1, ch + 8, bits1), code_at_runtime(row1, ch + 9, bits1));
    } else {
      a[0] = codes_to_half2(code_at<FMT>(row0, ch), code_at<FMT>(row0, ch + 1));
      a[1] = codes_to_half2(code_at<FMT>(row1, ch), code_at<FMT>(row1, ch + 1));
      a[2] = codes_to_half2(code_at<FMT>(row0, ch + 8), code_at<FMT>(row0, ch + 9));
      a[3] = codes_to_half2(code_at<FMT>(row1, ch + 8), code_at<FMT>(row1, ch + 9));
    }
    const int gi = div_fast(ks * 16, kv.group_size);
    const float sc0 = __half2float(st.k_scale[gi * 64 + tok0]), mn0 = __half2float(st.k_min[gi * 64 + tok0]);
    const float sc1 = __half2float(st.k_scale[gi * 64 + tok1]), mn1 = __half2float(st.k_min[gi * 64 + tok1]);
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      float c[4] = {0.f, 0.f, 0.f, 0.f};
      mma_16816(c, a, w.q[nt][ks][0], w.q[nt][ks][1]);
      const float qs0 = w.q_block_sum[(nt * 8 + 2 * tq) * (D / 16) + ks];
      const float qs1 = w.q_block_sum[(nt * 8 + 2 * tq + 1) * (D / 16) + ks];
      s[nt][0] += sc0 * c[0] + mn0 * qs0;
      s[nt][1] += sc0 * c[1] + mn0 * qs1;
      s[nt][2] += sc1 * c[2] + mn1 * qs0;
      s[nt][3] += sc1 * c[3] + mn1 * qs1;
    }
  }
}

// Dense (fp16/bf16) keys, read straight from global memory (the tail is short).
template <int D, int NT>
__device__ __forceinline__ void qk_dense(const tensor_view& kv, int kv_head, int t0, int nt_tokens,
                                         warp_state<D, NT>& w, float (&s)[NT][4]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const int tok0 = warp * 16 + gq, tok1 = tok0 + 8;
  const uint32_t* base = kv.words + kv_head * kv.head_stride_words + static_cast<int64_t>(t0) * (D / 2);
  const bool ok0 = tok0 < nt_tokens, ok1 = tok1 < nt_tokens;
  const bool bf = kv.dense_bf16;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
    const int wj = ks * 8 + tq;  // word of channels 16ks + 2t, +1
    uint32_t raw[4] = {ok0 ? base[tok0 * (D / 2) + wj] : 0u, ok1 ? base[tok1 * (D / 2) + wj] : 0u,
                       ok0 ? base[tok0 * (D / 2) + wj + 4] : 0u, ok1 ? base[tok1 * (D / 2) + wj + 4] : 0u};
    uint32_t a[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      a[i] = bf ? as_u32(__halves2half2(dense_to_half(raw[i] & 0xFFFFu, true), dense_to_half(raw[i] >> 16, true)))
                : raw[i];
    }
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) mma_16816(s[nt], a, w.q[nt][ks][0], w.q[nt][ks][1]);
  }
}

// ---- PV: O^T[channel][row] += V^T[channel][token] · P^T[token][row] -----------------------
// p_frag: B fragments of P (fp16) for this warp's 16 tokens.
template <int D, int NT, int FMT>
__device__ __forceinline__ void pv_per_token(const stage_buffer<D>& st, const tile_geom& g,
                                             const tensor_view& vv, const uint32_t (&p_frag)[NT][2],
                                             warp_state<D, NT>& w) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const int r0 = warp * 16 + 2 * tq;  // token rows r0, r0+1, r0+8, r0+9
  const uint32_t* rows[4];
  int bits[4] = {FMT, FMT, FMT, FMT};
  const int rid[4] = {r0, r0 + 1, r0 + 8, r0 + 9};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if constexpr (FMT == kFmtRuntime) {
      rows[i] = st.v_words + st.v_row_offset[rid[i]];
      bits[i] = st.v_row_bits[rid[i]];
    } else {
      rows[i] = st.v_words + rid[i] * g.row_stride;
    }
  }
  const uint32_t ones = 0x3C003C00u;  // half2(1, 1): A of the min term
  const uint32_t ones_a[4] = {ones, ones, ones, ones};
  int cur_group = -1;
  uint32_t ps[NT][2], pm[NT][2];
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
    const int gi = div_fast(mt * 16, vv.group_size);
    if (gi != cur_group) {
      cur_group = gi;
      const __half2 s01 = *reinterpret_cast<const __half2*>(&st.v_scale[gi * 64 + r0]);
      const __half2 s89 = *reinterpret_cast<const __half2*>(&st.v_scale[gi * 64 + r0 + 8]);
      const __half2 m01 = *reinterpret_cast<const __half2*>(&st.v_min[gi * 64 + r0]);
      const __half2 m89 = *reinterpret_cast<const __half2*>(&st.v_min[gi * 64 + r0 + 8]);
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        ps[nt][0] = as_u32(__hmul2(as_h2(p_frag[nt][0]), s01));
        ps[nt][1] = as_u32(__hmul2(as_h2(p_frag[nt][1]), s89));
        pm[nt][0] = as_u32(__hmul2(as_h2(p_frag[nt][0]), m01));
        pm[nt][1] = as_u32(__hmul2(as_h2(p_frag[nt][1]), m89));
      }
    }
    const int ch = mt * 16 + gq;
    uint32_t a[4];
    if constexpr (FMT == kFmtRuntime) {
      a[0] = codes_to_half2(code_at_runtime(rows[0], ch, bits[0]), code_at_runtime(rows[1], ch, bits[1]));
      a[1] = codes_to_half2(code_at_runtime(rows[0], ch + 8, bits[0]), code_at_runtime(rows[1], ch + 8, bits[1]));
      a[2] = codes_to_half2(code_at_runtime(rows[2], ch, bits[2]), code_at_runtime(rows[3], ch, bits[3]));
      a[3] = codes_to_half2(code_at_runtime(rows[2], ch + 8, bits[2]), code_at_runtime(rows[3], ch + 8, bits[3]));
    } else {
      a[0] = pair_rows<FMT>(rows[0], rows[1], ch);
      a[1] = pair_rows<FMT>(rows[0], rows[1], ch + 8);
      a[2] = pair_rows<FMT>(rows[2], rows[3], ch);
      a[3] = pair_rows<FMT>(rows[2], rows[3], ch + 8);
    }
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
      mma_16816(w.acc[mt][nt], a, ps[nt][0], ps[nt][1]);
      mma_16816(w.acc[mt][nt], ones_a, pm[nt][0], pm[nt][1]);
    }
  }
}

template <int D, int NT>
__device__ __forceinline__ void pv_dense(const tensor_view& vv, int kv_head, int t0, int nt_tokens,
                                         const uint32_t (&p_frag)[NT][2], warp_state<D, NT>& w) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const uint16_t* base = reinterpret_cast<const uint16_t*>(vv.words + kv_head * vv.head_stride_words) +
                         static_cast<int64_t>(t0) * D;
  const int r0 = warp * 16 + 2 * tq;
  const int rid[4] = {r0, r0 + 1, r0 + 8, r0 + 9};
  const bool bf = vv.dense_bf16;
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
    const int ch = mt * 16 + gq;
    __half h[4][2];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const bool ok = rid[i] < nt_tokens;
      h[i][0] = ok ? dense_to_half(base[rid[i] * D + ch], bf) : __ushort_as_half(0);
      h[i][1] = ok ? dense_to_half(base[rid[i] * D + ch + 8], bf) : __ushort_as_half(0);
    }
    const uint32_t a[4] = {as_u32(__halves2half2(h[0][0], h[1][0])), as_u32(__halves2half2(h[0][1], h[1][1])),
                           as_u32(__halves2half2(h[2][0], h[3][0])), as_u32(__halves2half2(h[2][1], h[3][1]))};
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) mma_16816(w.acc[mt][nt], a, p_frag[nt][0], p_frag[nt][1]);
  }
}

}  // namespace wq::kernels::detail
