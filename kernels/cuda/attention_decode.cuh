// Tiles of the warp-independent decode kernel (attention_decode_kernel.cuh) over the common
// formats (classify_table() == 1: keys per channel, values per token, 1/2/4/8 bits, dense16
// tail) when the rows of one KV head fit one mma column block (q_tokens · group <= 8); the
// token-interleaved tiles are in attention_decode_interleaved.cuh. Each warp streams its own
// 64-token tiles straight from global memory into registers (no shared-memory staging, no
// block barrier in the loop), builds tensor-core fragments from the packed words with one
// prmt per pair of rows and one AND per half2 (the code bits as an exact fp16 subnormal), and
// keeps its own online softmax. The block merges its 4 warps once at the end.
//
// Layout trick: the mma's token (M) and channel (K) orders are free as long as Q and P use the
// same ones. Thread slot g = lane / 4 owns 8 consecutive tokens of a tile for keys (half a
// 2-bit word of each channel row) and D / 8 consecutive channels for values (one 2-bit word of
// each token row), so every loaded word is consumed whole by one thread:
//   QK chunk j (16 tokens), row r  <-> tile token 8·(r & 7) + 2j + (r >> 3)
//   QK k-slot (2t + e, 2t + 8 + e) <-> channel 16·ks + 4t + e, 16·ks + 4t + 2 + e
//   PV row r of m-tile mt          <-> channel (D/8)·(r & 7) + 2·mt + (r >> 3)
// P goes from the QK accumulator layout to the PV operand layout by movmatrix (no shared memory).
//
// Scales: a key group that covers the whole tile (group % 64 == 0) is folded into q
// (s = Σ code·(q∘scale) + Σ q·min); a value group that covers the whole token (group == D) is
// folded into P (o = Σ code·(p·scale) + Σ p·min, the min term a per-row scalar). Smaller groups
// are dequantized in the fragment (one extra hfma2 per half2).
#pragma once

#include "kernels/cuda/attention_decode_dense.cuh"

namespace wq::kernels::detail {

// acc · 2^(±(kSubnormalShift − bit)) per channel for value width B: to_true turns the raw
// representation of width B (code·2^(bit − 24), slice::raw) into true values, else back.
// The factors are compile-time constants (a width's bit positions are known per channel).
template <int D, int B, bool to_true>
__device__ __forceinline__ void rescale_acc(dec_state<D>& st) {
  using S = slice<B, D / 8>;
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int e = kSubnormalShift - S::bit_of(2 * mt + h);
      const float f = __int_as_float((127 + (to_true ? e : -e)) << 23);
      st.acc[mt][2 * h] *= f;
      st.acc[mt][2 * h + 1] *= f;
    }
  }
}

// Re-expresses acc for value width `bits` (fold path: raw codes carry 2^bit per channel;
// 0: true values). Powers of two: exact. Runs only when the width changes.
template <int D>
__device__ __forceinline__ void set_acc_bits(dec_state<D>& st, int bits) {
  if (bits == st.acc_bits) return;
  if (st.m[0] == -INFINITY) {  // no tile yet: acc is all zeros in any representation
    st.acc_bits = bits;
    return;
  }
  switch (st.acc_bits) {
    case 1: rescale_acc<D, 1, true>(st); break;
    case 2: rescale_acc<D, 2, true>(st); break;
    case 4: rescale_acc<D, 4, true>(st); break;
    case 8: rescale_acc<D, 8, true>(st); break;
    default: break;  // 0: true values already
  }
  switch (bits) {
    case 1: rescale_acc<D, 1, false>(st); break;
    case 2: rescale_acc<D, 2, false>(st); break;
    case 4: rescale_acc<D, 4, false>(st); break;
    case 8: rescale_acc<D, 8, false>(st); break;
    default: break;
  }
  st.acc_bits = bits;
}

// Stages this warp's q rows once (B-fragment order: word (ks·2 + h)·32 + lane holds channels
// 16ks + 4t + 2h, +1 of row g, scaled by softmax scale·log2 e and rounded to fp16 (what the mma
// sees); rows past `rows` are 0).
template <int D>
__device__ __forceinline__ void stage_query(const kernel_args& args, int seq, int kv_head, uint32_t* q_smem) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int qgroup = args.q_heads / args.kv_heads;
  const bool row_ok = g < args.rows;
  const int qt = row_ok ? g / qgroup : 0, head = kv_head * qgroup + (row_ok ? g % qgroup : 0);
  const int64_t base = ((static_cast<int64_t>(seq) * args.q_tokens + qt) * args.q_heads + head) * D;
  const uint32_t* qw = static_cast<const uint32_t*>(args.q) + base / 2;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      uint32_t val = 0u;
      if (row_ok) {
        const uint32_t raw = qw[(ks * 16 + 4 * t + 2 * h) / 2];
        float2 f;
        if (args.bf16) f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw));
        else f = __half22float2(*reinterpret_cast<const __half2*>(&raw));
        val = as_u32(__floats2half2_rn(f.x * args.scale_log2, f.y * args.scale_log2));
      }
      q_smem[(ks * 2 + h) * 32 + lane] = val;
    }
  }
  __syncwarp();
}

// st.qf = q ∘ scale of key group `group` (fold) and st.bias = Σ q·min, or plain q (group < 0).
// Each lane loads the (scale, min) of D/32 channels once into shared memory (the 8 lanes of a
// column used to load the same 64 values each).
template <int D>
__device__ __forceinline__ void set_query_operand(const dec_tensor& k, int group, const uint32_t* q_smem,
                                                  uint32_t* sm_smem, dec_state<D>& st) {
  const int lane = threadIdx.x & 31, t = lane & 3;
  if (group < 0) {
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      st.qf_at(ks, 0) = q_smem[(ks * 2) * 32 + lane];
      st.qf_at(ks, 1) = q_smem[(ks * 2 + 1) * 32 + lane];
    }
    st.bias[0] = st.bias[1] = 0.f;
    return;
  }
  __syncwarp();
#pragma unroll
  for (int i = 0; i < D / 64; ++i) {  // lane takes channels 2·(lane + 32i), +1
    const int ch = 2 * (lane + 32 * i);
    float s[2], m[2];
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int64_t idx = static_cast<int64_t>(ch + e) * k.groups_per_row + group;
      s[e] = __half2float(__ushort_as_half(ldg_u16(k.scales + idx)));
      m[e] = group_min(k, s[e], idx);
    }
    sm_smem[ch / 2] = as_u32(__floats2half2_rn(s[0], s[1]));
    reinterpret_cast<float2*>(sm_smem + D / 2)[ch / 2] = make_float2(m[0], m[1]);
  }
  __syncwarp();
  float part = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int ch = ks * 16 + 4 * t + 2 * h;
      const uint32_t qv = q_smem[(ks * 2 + h) * 32 + lane];
      st.qf_at(ks, h) = hmul2_u(qv, sm_smem[ch / 2]);
      const float2 qf = __half22float2(as_h2(qv));
      const float2 mn = reinterpret_cast<const float2*>(sm_smem + D / 2)[ch / 2];
      part += qf.x * mn.x + qf.y * mn.y;
    }
  }
  part += __shfl_xor_sync(0xffffffffu, part, 1);
  part += __shfl_xor_sync(0xffffffffu, part, 2);  // row g complete
  st.bias[0] = __shfl_sync(0xffffffffu, part, 8 * t);      // row 2t
  st.bias[1] = __shfl_sync(0xffffffffu, part, 8 * t + 4);  // row 2t+1
}

// ---- QK over one 64-token tile: c[j][..] = S^T of chunk j -------------------------------
// full: the tile holds 64 valid tokens, so no word index needs clamping to the row.
template <int D, int B, bool fold, bool full>
__device__ __forceinline__ void qk_packed(const dec_tensor& k, int t0, const dec_state<D>& st, float (&c)[4][4]) {
  using S = slice<B, 8>;
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int w0 = (t0 * B) >> 5;  // t0 % 64 == 0: word aligned for every width
  const int wi = w0 + S::word(g);
  const uint32_t sel = S::selector(g);
  constexpr bool kPrefetch = B <= 4;
  uint32_t raw[kPrefetch ? D / 16 : 1][4][S::kWords];
  // Word indices clamped to the row in a partial tile (past the segment's last word: that word
  // again; those tokens are masked). 32-bit offsets: D · row_words stays far below 2^31.
  int wl[S::kWords];
#pragma unroll
  for (int w = 0; w < S::kWords; ++w) wl[w] = full ? w : min(wi + w, k.row_words - 1) - wi;
  // The thread's 4 rows of k-step ks are rows 16·ks + 4t + i: one pointer per i, stepped by
  // 16 rows, so each load costs one 64-bit add.
  const uint32_t* rows[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) rows[i] = k.words + ((4 * t + i) * k.row_words + wi);
  const int step = 16 * k.row_words;
  auto load = [&](int ks, uint32_t (&r)[4][S::kWords]) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
      for (int w = 0; w < S::kWords; ++w) r[i][w] = ldg_word(rows[i] + wl[w]);
      rows[i] += step;
    }
  };
  if constexpr (kPrefetch) {
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) load(ks, raw[ks]);
  }
  // Dequantize-in-fragment path (group smaller than the tile): the thread's 8 tokens lie in
  // one group (groups are multiples of 16 tokens).
  const int my_group = fold ? 0 : div_fast(t0 + 8 * g, k.group);
#pragma unroll
  for (int j = 0; j < 4; ++j) c[j][0] = c[j][1] = c[j][2] = c[j][3] = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
    uint32_t cur[4][S::kWords];
    if constexpr (kPrefetch) {
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int w = 0; w < S::kWords; ++w) cur[i][w] = raw[ks][i][w];
    } else {
      load(ks, cur);
    }
    uint32_t m01[S::kRegs], m23[S::kRegs];
    S::merge(cur[0], cur[1], sel, m01);
    S::merge(cur[2], cur[3], sel, m23);
    uint32_t sc[2] = {0, 0}, mn[2] = {0, 0};
    if constexpr (!fold) {
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        float s[2], mi[2];
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const int64_t idx = static_cast<int64_t>(ks * 16 + 4 * t + 2 * h + e) * k.groups_per_row + my_group;
          s[e] = __half2float(__ushort_as_half(ldg_u16(k.scales + idx)));
          mi[e] = group_min(k, s[e], idx);
        }
        sc[h] = as_u32(__floats2half2_rn(s[0], s[1]));
        mn[h] = as_u32(__floats2half2_rn(mi[0], mi[1]));
      }
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      uint32_t a[4] = {code_n<S, fold>(m01, 2 * j), code_n<S, fold>(m01, 2 * j + 1), code_n<S, fold>(m23, 2 * j),
                       code_n<S, fold>(m23, 2 * j + 1)};
      if constexpr (!fold) {
        a[0] = hfma2_u(a[0], sc[0], mn[0]);
        a[1] = hfma2_u(a[1], sc[0], mn[0]);
        a[2] = hfma2_u(a[2], sc[1], mn[1]);
        a[3] = hfma2_u(a[3], sc[1], mn[1]);
      }
      mma_16816(c[j], a, st.qf_at(ks, 0), st.qf_at(ks, 1));
    }
  }
  if constexpr (fold) {  // rows g / g+8 of chunk j held code·2^(bit−24) of token 2j / 2j+1; + Σ q·min
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const float f0 = __int_as_float((127 + kSubnormalShift - S::bit_of(2 * j)) << 23);
      const float f1 = __int_as_float((127 + kSubnormalShift - S::bit_of(2 * j + 1)) << 23);
      c[j][0] = fmaf(c[j][0], f0, st.bias[0]);
      c[j][1] = fmaf(c[j][1], f0, st.bias[1]);
      c[j][2] = fmaf(c[j][2], f1, st.bias[0]);
      c[j][3] = fmaf(c[j][3], f1, st.bias[1]);
    }
  }
}

// Per-tile value scales, 16 registers either way. fold (group == D): r[2j], r[2j+1] = the
// scale pairs that multiply chunk j's P fragments (tokens of the PV layout), r[8 + i] = half2
// mins of the thread's QK-layout tokens 8g + 2i, 8g + 2i + 1. Otherwise r[2j + h] / r[8 + 2j + h]
// = (scale, min) pairs of the thread's channel group for the dequantize-in-fragment path.
struct v_scales {
  uint32_t r[16];
};

// ---- PV over one tile ----------------------------------------------------------------------
// Values per token: thread slot g owns channels (D/8)·g .. +D/8 of every token; chunk j pairs
// tokens (16t + 2j, 16t + 8 + 2j) [a0, a1] and (16t + 2j + 1, 16t + 9 + 2j) [a2, a3].
template <int D, int B>
struct v_tile {
  using S = slice<B, D / 8>;
  uint32_t raw[4][4][S::kWords];  // [chunk][token 0..3][word]
};

template <int D, int B>
__device__ __forceinline__ void load_v(const dec_tensor& v, int t0, int nt, v_tile<D, B>& vt) {
  using S = slice<B, D / 8>;
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int wi = S::word(g);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int toks[4] = {16 * t + 2 * j, 16 * t + 8 + 2 * j, 16 * t + 2 * j + 1, 16 * t + 9 + 2 * j};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const uint32_t* row = v.words + static_cast<int64_t>(t0 + toks[i]) * v.row_words + wi;
#pragma unroll
      for (int w = 0; w < S::kWords; ++w) vt.raw[j][i][w] = toks[i] < nt ? ldg_word(row + w) : 0u;
    }
  }
}

template <int D, int B, bool fold>
__device__ __forceinline__ void pv_packed(const v_tile<D, B>& vt, const uint32_t (&b)[4][2], const v_scales& vs,
                                          dec_state<D>& st) {
  using S = slice<B, D / 8>;
  const int lane = threadIdx.x & 31, g = lane >> 2;
  const uint32_t sel = S::selector(g);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    uint32_t ma[S::kRegs], mb[S::kRegs];
    S::merge(vt.raw[j][0], vt.raw[j][1], sel, ma);
    S::merge(vt.raw[j][2], vt.raw[j][3], sel, mb);
#pragma unroll
    for (int mt = 0; mt < D / 16; ++mt) {
      uint32_t a[4] = {code_n<S, fold>(ma, 2 * mt), code_n<S, fold>(ma, 2 * mt + 1), code_n<S, fold>(mb, 2 * mt),
                       code_n<S, fold>(mb, 2 * mt + 1)};
      if constexpr (!fold) {
        a[0] = hfma2_u(a[0], vs.r[2 * j], vs.r[8 + 2 * j]);
        a[1] = hfma2_u(a[1], vs.r[2 * j], vs.r[8 + 2 * j]);
        a[2] = hfma2_u(a[2], vs.r[2 * j + 1], vs.r[8 + 2 * j + 1]);
        a[3] = hfma2_u(a[3], vs.r[2 * j + 1], vs.r[8 + 2 * j + 1]);
      }
      mma_16816(st.acc[mt], a, b[j][0], b[j][1]);
    }
  }
}

template <int D>
__device__ __forceinline__ void load_v_scales(const dec_tensor& v, int t0, int nt, bool fold, v_scales& vs) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int gv = fold ? 0 : div_fast((D / 8) * g, v.group);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int toks[4] = {16 * t + 2 * j, 16 * t + 8 + 2 * j, 16 * t + 2 * j + 1, 16 * t + 9 + 2 * j};
    float s[4], mi[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      s[i] = mi[i] = 0.f;
      if (toks[i] < nt) {
        const int64_t idx = static_cast<int64_t>(t0 + toks[i]) * v.groups_per_row + gv;
        s[i] = __half2float(__ushort_as_half(ldg_u16(v.scales + idx)));
        if (!fold) mi[i] = group_min(v, s[i], idx);
      }
    }
    vs.r[2 * j] = as_u32(__floats2half2_rn(s[0], s[1]));
    vs.r[2 * j + 1] = as_u32(__floats2half2_rn(s[2], s[3]));
    if (!fold) {
      vs.r[8 + 2 * j] = as_u32(__floats2half2_rn(mi[0], mi[1]));
      vs.r[8 + 2 * j + 1] = as_u32(__floats2half2_rn(mi[2], mi[3]));
    }
  }
  if (fold) {
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      float mi[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int tok = 8 * g + 2 * i + e;
        mi[e] = 0.f;
        if (tok < nt) {
          const int64_t idx = t0 + tok;  // one group per token
          mi[e] = group_min(v, __half2float(__ushort_as_half(ldg_u16(v.scales + idx))), idx);
        }
      }
      vs.r[8 + i] = as_u32(__floats2half2_rn(mi[0], mi[1]));
    }
  }
}

// Online softmax over J 16-token chunks (a tile: 4; the interleaved path: 1, masked by the
// caller and given nt = kTileTokens); returns P (∘ value scale when folded) as PV B fragments.
template <int D, int J>
__device__ __forceinline__ void softmax_tile(float (&c)[J][4], int nt, bool vfold, const v_scales& vs,
                                             dec_state<D>& st, uint32_t (&b)[J][2]) {
  const int lane = threadIdx.x & 31, g = lane >> 2;
#pragma unroll
  for (int j = 0; j < J; ++j) {
    const int tok0 = 8 * g + 2 * j;
    c[j][0] = tok0 < nt ? c[j][0] : -INFINITY;
    c[j][1] = tok0 < nt ? c[j][1] : -INFINITY;
    c[j][2] = tok0 + 1 < nt ? c[j][2] : -INFINITY;
    c[j][3] = tok0 + 1 < nt ? c[j][3] : -INFINITY;
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float mx = -INFINITY;
#pragma unroll
    for (int j = 0; j < J; ++j) mx = fmaxf(mx, fmaxf(c[j][r], c[j][r + 2]));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 8));
    mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 16));
    const float m_new = fmaxf(st.m[r], mx);  // finite: every tile has a valid token
    const float alpha = exp2_approx(st.m[r] - m_new);
    st.m[r] = m_new;
    float sum = 0.f, msum = 0.f;
#pragma unroll
    for (int j = 0; j < J; ++j) {
      c[j][r] = exp2_approx(c[j][r] - m_new);
      c[j][r + 2] = exp2_approx(c[j][r + 2] - m_new);
      sum += c[j][r] + c[j][r + 2];
      if (vfold) {
        const float2 mn = __half22float2(as_h2(vs.r[8 + j]));
        msum += c[j][r] * mn.x + c[j][r + 2] * mn.y;
      }
    }
    st.l[r] = st.l[r] * alpha + sum;
    st.mm[r] = st.mm[r] * alpha + msum;
#pragma unroll
    for (int mt = 0; mt < D / 16; ++mt) {
      st.acc[mt][r] *= alpha;
      st.acc[mt][r + 2] *= alpha;
    }
  }
#pragma unroll
  for (int j = 0; j < J; ++j) {
    b[j][0] = movmatrix_trans(as_u32(__floats2half2_rn(c[j][0], c[j][1])));
    b[j][1] = movmatrix_trans(as_u32(__floats2half2_rn(c[j][2], c[j][3])));
    if (vfold) {
      b[j][0] = hmul2_u(b[j][0], vs.r[2 * j]);
      b[j][1] = hmul2_u(b[j][1], vs.r[2 * j + 1]);
    }
  }
}

// Hot-path loaders for a full tile (64 valid tokens): row stride D·B/32 known at compile
// time, so every load is one base pointer plus an immediate offset; no clamps, no branches.
template <int D, int B>
__device__ __forceinline__ void load_v_fast(const dec_tensor& v, int t0, v_tile<D, B>& vt) {
  using S = slice<B, D / 8>;
  constexpr int RW = D * B / 32;
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const uint32_t* base = v.words + ((t0 + 16 * t) * RW + S::word(g));
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int toks[4] = {2 * j, 8 + 2 * j, 2 * j + 1, 9 + 2 * j};  // + 16t
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int w = 0; w < S::kWords; ++w) vt.raw[j][i][w] = ldg_word(base + toks[i] * RW + w);
  }
}

template <int D>
__device__ __forceinline__ void load_v_scales_fast(const dec_tensor& v, int t0, v_scales& vs) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const uint16_t* sc = v.scales + (t0 + 16 * t);
  const bool asym = v.mins != nullptr;
  const uint16_t* mn = (asym ? v.mins : v.scales) + (t0 + 8 * g);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int toks[4] = {2 * j, 8 + 2 * j, 2 * j + 1, 9 + 2 * j};  // + 16t
    uint16_t h[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) h[i] = ldg_u16(sc + toks[i]);
    vs.r[2 * j] = static_cast<uint32_t>(h[0]) | (static_cast<uint32_t>(h[1]) << 16);
    vs.r[2 * j + 1] = static_cast<uint32_t>(h[2]) | (static_cast<uint32_t>(h[3]) << 16);
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float mi[2];
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const float x = __half2float(__ushort_as_half(ldg_u16(mn + 2 * i + e)));
      mi[e] = asym ? x : v.min_coef * x;  // no min array: min = coef·scale
    }
    vs.r[8 + i] = as_u32(__floats2half2_rn(mi[0], mi[1]));
  }
}

// Hot path: a full tile (64 valid tokens) of keys and values of one width B with folded
// scales (key group % 64 == 0, value group == D). Straight-line code, kept small: the
// instruction cache is what a fully unrolled general body overflowed (126 KB of SASS for one
// width). A segment's last, partial tile goes through tile_general.
template <int D, int B>
__device__ __forceinline__ void tile_fast(const dec_tensor& k, const dec_tensor& v, int t0, dec_state<D>& st) {
  v_tile<D, B> vr;
  if constexpr (B <= 4) load_v_fast<D, B>(v, t0, vr);
  v_scales vs;
  load_v_scales_fast<D>(v, t0, vs);
  float c[4][4];
  qk_packed<D, B, true, true>(k, t0, st, c);
  uint32_t b[4][2];
  softmax_tile<D>(c, kTileTokens, true, vs, st, b);
  if constexpr (B > 4) load_v_fast<D, B>(v, t0, vr);
  pv_packed<D, B, true>(vr, b, vs, st);
}

// The full-precision tail (both tensors dense16), any tile length.
template <int D>
__device__ __forceinline__ void tile_dense(const dec_tensor& k, const dec_tensor& v, int t0, int nt, dec_state<D>& st) {
  float c[4][4];
  qk_dense<D>(k, t0, nt, st, c);
  uint32_t b[4][2];
  v_scales vs;  // unused: nothing folded
  softmax_tile<D>(c, nt, false, vs, st, b);
  pv_dense<D>(v, t0, nt, b, st);
}

// Everything else (widths that differ between keys and values, groups smaller than a tile,
// a dense tensor beside a packed one): one switch per phase; cold code.
template <int D>
__device__ __forceinline__ void tile_general(const dec_tensor& k, const dec_tensor& v, int t0, int nt, bool kfold,
                                          dec_state<D>& st) {
  const bool vpacked = v.format == static_cast<int>(tensor_format::packed);
  const bool vfold = vpacked && v.group == D;
  v_scales vs;
  if (vpacked) load_v_scales<D>(v, t0, nt, vfold, vs);
  float c[4][4];
  const int kb = k.format == static_cast<int>(tensor_format::dense16) ? 0 : k.bits;
#define WQ_QK_CASE(KB)                                          \
  case KB:                                                      \
    if (kfold) qk_packed<D, KB, true, false>(k, t0, st, c);     \
    else qk_packed<D, KB, false, false>(k, t0, st, c);          \
    break;
  switch (kb) {
    case 0: qk_dense<D>(k, t0, nt, st, c); break;
    WQ_QK_CASE(1) WQ_QK_CASE(2) WQ_QK_CASE(4) WQ_QK_CASE(8)
    default: break;
  }
#undef WQ_QK_CASE
  uint32_t b[4][2];
  softmax_tile<D>(c, nt, vfold, vs, st, b);
  const int vb = vpacked ? v.bits : 0;
  switch (vb) {
    case 0: pv_dense<D>(v, t0, nt, b, st); break;
#define WQ_PV_CASE(VB)                                                      \
  case VB: {                                                                \
    v_tile<D, VB> vr;                                                       \
    load_v<D, VB>(v, t0, nt, vr);                                           \
    if (vfold) pv_packed<D, VB, true>(vr, b, vs, st);                       \
    else pv_packed<D, VB, false>(vr, b, vs, st);                            \
    break;                                                                  \
  }
    WQ_PV_CASE(1) WQ_PV_CASE(2) WQ_PV_CASE(4) WQ_PV_CASE(8)
#undef WQ_PV_CASE
    default: break;
  }
}

}  // namespace wq::kernels::detail
