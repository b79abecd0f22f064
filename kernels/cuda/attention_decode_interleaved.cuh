// The decode kernel's token-interleaved path (token-level mixed precision, docs/packing.md:
// every token has its own width, word offset and per-token channel groups). The paper's
// baseline, built to be as fast as its layout allows so the comparison with WindowQuant's
// reordered segments is fair:
//   - A 64-token tile is cut into width classes (the tokens whose (key, value) widths agree)
//     with two ballots per class; the class's tokens fill 16-token chunks, the last one padded
//     by a masked reread of the class's first token. So each mma chunk has one width and its
//     codes are unpacked by width-specialized straight-line code (one warp-uniform switch per
//     chunk) instead of a per-token branch: the per-token cost that is left is what the layout
//     itself imposes (each token's width and offset read, rows gathered one by one, a padded
//     chunk per extra class in a tile, dequantization in the fragment because every token has
//     its own scales).
//   - QK: mma rows are a chunk's tokens; thread slot t owns channels (D/8)·t … of the row's
//     first and second half, so one prmt pairs the two halves and one register holds
//     (channel c, channel c + D/2) of a token: k-slot 2t + 8h + e <-> channel
//     e·D/2 + (D/8)·t + 2ks + h (q is staged in the same order, set_query_interleaved).
//   - PV: the packed path's layout (slot g owns channels (D/8)·g …), k = the chunk's tokens in
//     the order of the QK rows, so P moves by movmatrix as in the packed path.
//   - Every width takes the slice code of the packed path; a 3-bit run (10 codes per word) is
//     first repacked 8 codes to a word and read as 4-bit codes (load_run).
#pragma once

#include "kernels/cuda/attention_decode.cuh"

namespace wq::kernels::detail {

// Tile-relative token, key and value word offsets of a width class, in chunk-slot order.
struct il_slots {
  int tok[kTileTokens];
  uint32_t koff[kTileTokens];
  uint32_t voff[kTileTokens];
};

inline constexpr int kQfInterleaved = -3;  // dec_state::qf_seg while qf holds the interleaved q order

// st.qf = q (scaled like stage_query) in the interleaved k order: st.qf_at(ks, h) = (channel
// (D/8)·t + 2ks + h, the same + D/2) of row g. Runs once per switch to an interleaved segment.
template <int D>
__device__ __forceinline__ void set_query_interleaved(const kernel_args& args, int seq, int kv_head, dec_state<D>& st) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int qgroup = args.q_heads / args.kv_heads;
  const bool row_ok = g < args.rows;
  const int qt = row_ok ? g / qgroup : 0, head = kv_head * qgroup + (row_ok ? g % qgroup : 0);
  const int64_t base = ((static_cast<int64_t>(seq) * args.q_tokens + qt) * args.q_heads + head) * D;
  const uint16_t* qh = static_cast<const uint16_t*>(args.q) + base;
  auto scaled = [&](int ch) { return __half2float(dense_to_half(qh[ch], args.bf16)) * args.scale_log2; };
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks)
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int ch = (D / 8) * t + 2 * ks + h;
      st.qf_at(ks, h) = row_ok ? as_u32(__floats2half2_rn(scaled(ch), scaled(ch + D / 2))) : 0u;
    }
  st.bias[0] = st.bias[1] = 0.f;
}

// N consecutive 3-bit codes of a row from code c0 (10 codes per word, so a run of N codes
// straddles words at a thread-dependent place): its kW words in registers, codes picked by select.
template <int N>
struct codes3_run {
  static constexpr int kW = (N + 18) / 10;
  uint32_t w[kW];
  int first;
  __device__ __forceinline__ void load(const uint32_t* row, int c0, int row_codes) {
    first = c0 / 10;
    const int last = (row_codes - 1) / 10;
#pragma unroll
    for (int j = 0; j < kW; ++j) w[j] = ldg_word(row + min(first + j, last));
  }
  __device__ __forceinline__ uint32_t code(int c) const {
    const int j = c / 10 - first;
    uint32_t x = w[0];
#pragma unroll
    for (int i = 1; i < kW; ++i) x = j == i ? w[i] : x;
    return (x >> (3 * (c % 10))) & 7u;
  }
};

// (scale, min) half2 pairs of two group entries (dequantized as code·scale + min).
__device__ __forceinline__ void il_scale_pair(const dec_tensor& x, int64_t ia, int64_t ib, uint32_t& sc, uint32_t& mn) {
  sc = static_cast<uint32_t>(ldg_u16(x.scales + ia)) | (static_cast<uint32_t>(ldg_u16(x.scales + ib)) << 16);
  mn = static_cast<uint32_t>(ldg_u16(x.mins + ia)) | (static_cast<uint32_t>(ldg_u16(x.mins + ib)) << 16);
}

// The slice a thread's run of D/8 codes of width B is unpacked by: 3-bit runs are widened to
// the 4-bit slice first (load_run), so every width shares the slice code of the packed path.
template <int D, int B>
using il_slice = slice<B == 3 ? 4 : B, D / 8>;

// A 3-bit run repacked 8 codes to a word (not inlined: unrolled into the hot kernel, its
// per-code index arithmetic took more registers than the kernel has and spilled every path).
template <int N>
struct run4_words {
  uint32_t w[N / 8];
};
template <int N>
__device__ __noinline__ run4_words<N> widen_codes3(const uint32_t* row, int c0, int row_codes) {
  codes3_run<N> run;
  run.load(row, c0, row_codes);
  run4_words<N> out;
#pragma unroll
  for (int i = 0; i < N / 8; ++i) {
    uint32_t x = 0;
#pragma unroll
    for (int e = 0; e < 8; ++e) x |= run.code(c0 + 8 * i + e) << (4 * e);
    out.w[i] = x;
  }
  return out;
}

// The words of the run of D/8 codes of `row` that starts at code c0 (a multiple of D/8), as
// il_slice<D, B> reads them: the row's own words (for B = 1, the word whose half the slice's
// selector picks), or for 3 bits the codes repacked 8 to a word.
template <int D, int B>
__device__ __forceinline__ void load_run(const uint32_t* row, int c0, uint32_t (&w)[il_slice<D, B>::kWords]) {
  constexpr int kWords = il_slice<D, B>::kWords;
  if constexpr (B == 3) {
    const run4_words<D / 8> r = widen_codes3<D / 8>(row, c0, D);
#pragma unroll
    for (int i = 0; i < kWords; ++i) w[i] = r.w[i];
  } else {
#pragma unroll
    for (int i = 0; i < kWords; ++i) w[i] = ldg_word(row + ((c0 * B) >> 5) + i);
  }
}

// S^T of one chunk: rows g / g + 8 are tokens tok[0] / tok[1] (segment-relative) at rows
// row[0] / row[1]; B: the chunk's key width.
template <int D, int B>
__device__ __forceinline__ void qk_interleaved(const dec_tensor& k, const int (&tok)[2],
                                               const uint32_t* const (&row)[2], const dec_state<D>& st,
                                               float (&c)[4]) {
  using S = il_slice<D, B>;
  const int t = threadIdx.x & 3;
  const int glo = div_fast((D / 8) * t, k.group), ghi = div_fast(D / 2 + (D / 8) * t, k.group);
  uint32_t sc[2], mn[2], m[2][S::kRegs];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int64_t base = static_cast<int64_t>(tok[r]) * k.groups_per_row;
    il_scale_pair(k, base + glo, base + ghi, sc[r], mn[r]);
    uint32_t lo[S::kWords], hi[S::kWords];
    load_run<D, B>(row[r], (D / 8) * t, lo);
    load_run<D, B>(row[r], D / 2 + (D / 8) * t, hi);
    S::merge(lo, hi, S::selector(t), m[r]);
  }
  c[0] = c[1] = c[2] = c[3] = 0.f;
#pragma unroll
  for (int ks = 0; ks < D / 16; ++ks) {
    const uint32_t a[4] = {hfma2_u(code_n<S, false>(m[0], 2 * ks), sc[0], mn[0]),
                           hfma2_u(code_n<S, false>(m[1], 2 * ks), sc[1], mn[1]),
                           hfma2_u(code_n<S, false>(m[0], 2 * ks + 1), sc[0], mn[0]),
                           hfma2_u(code_n<S, false>(m[1], 2 * ks + 1), sc[1], mn[1])};
    mma_16816(c, a, st.qf_at(ks, 0), st.qf_at(ks, 1));
  }
}

// O^T += V^T · P^T over one chunk: k-slots 2t, 2t + 1, 2t + 8, 2t + 9 are tokens tok[0..3] at
// rows row[0..3]; slot g owns channels (D/8)·g … (PV layout of attention_decode.cuh).
template <int D, int B>
__device__ __forceinline__ void pv_interleaved(const dec_tensor& v, const int (&tok)[4],
                                               const uint32_t* const (&row)[4], const uint32_t (&b)[2],
                                               dec_state<D>& st) {
  using S = il_slice<D, B>;
  const int g = (threadIdx.x & 31) >> 2;
  const int gv = div_fast((D / 8) * g, v.group);
  uint32_t sc[2], mn[2], m[2][S::kRegs];  // token pairs (0, 1) and (2, 3)
#pragma unroll
  for (int p = 0; p < 2; ++p) {
    il_scale_pair(v, static_cast<int64_t>(tok[2 * p]) * v.groups_per_row + gv,
                  static_cast<int64_t>(tok[2 * p + 1]) * v.groups_per_row + gv, sc[p], mn[p]);
    uint32_t w0[S::kWords], w1[S::kWords];
    load_run<D, B>(row[2 * p], (D / 8) * g, w0);
    load_run<D, B>(row[2 * p + 1], (D / 8) * g, w1);
    S::merge(w0, w1, S::selector(g), m[p]);
  }
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
    const uint32_t a[4] = {hfma2_u(code_n<S, false>(m[0], 2 * mt), sc[0], mn[0]),
                           hfma2_u(code_n<S, false>(m[0], 2 * mt + 1), sc[0], mn[0]),
                           hfma2_u(code_n<S, false>(m[1], 2 * mt), sc[1], mn[1]),
                           hfma2_u(code_n<S, false>(m[1], 2 * mt + 1), sc[1], mn[1])};
    mma_16816(st.acc[mt], a, b[0], b[1]);
  }
}

// One 16-slot chunk [c0, c0 + 16) of a width class of n tokens (slots past n are masked).
template <int D>
__device__ __forceinline__ void chunk_interleaved(const dec_tensor& k, const dec_tensor& v, int t0, const il_slots& sl,
                                                  int c0, int n, int kb, int vb, dec_state<D>& st) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  auto slot = [&](int r) { return c0 + r < n ? c0 + r : c0; };  // padding rereads the class's first token
  float c[1][4];
  {
    const int s[2] = {slot(g), slot(g + 8)};
    const int tok[2] = {t0 + sl.tok[s[0]], t0 + sl.tok[s[1]]};
    const uint32_t* const row[2] = {k.words + sl.koff[s[0]], k.words + sl.koff[s[1]]};
    switch (kb) {
      case 1: qk_interleaved<D, 1>(k, tok, row, st, c[0]); break;
      case 2: qk_interleaved<D, 2>(k, tok, row, st, c[0]); break;
      case 4: qk_interleaved<D, 4>(k, tok, row, st, c[0]); break;
      case 8: qk_interleaved<D, 8>(k, tok, row, st, c[0]); break;
      default: qk_interleaved<D, 3>(k, tok, row, st, c[0]); break;  // device_cache: widths 1, 2, 3, 4, 8
    }
  }
  if (c0 + g >= n) c[0][0] = c[0][1] = -INFINITY;
  if (c0 + g + 8 >= n) c[0][2] = c[0][3] = -INFINITY;
  uint32_t b[1][2];
  const v_scales unused{};
  softmax_tile<D>(c, kTileTokens, false, unused, st, b);
  const int s[4] = {slot(2 * t), slot(2 * t + 1), slot(2 * t + 8), slot(2 * t + 9)};
  const int tok[4] = {t0 + sl.tok[s[0]], t0 + sl.tok[s[1]], t0 + sl.tok[s[2]], t0 + sl.tok[s[3]]};
  const uint32_t* const row[4] = {v.words + sl.voff[s[0]], v.words + sl.voff[s[1]], v.words + sl.voff[s[2]],
                                  v.words + sl.voff[s[3]]};
  switch (vb) {
    case 1: pv_interleaved<D, 1>(v, tok, row, b[0], st); break;
    case 2: pv_interleaved<D, 2>(v, tok, row, b[0], st); break;
    case 4: pv_interleaved<D, 4>(v, tok, row, b[0], st); break;
    case 8: pv_interleaved<D, 8>(v, tok, row, b[0], st); break;
    default: pv_interleaved<D, 3>(v, tok, row, b[0], st); break;
  }
}

// One tile [t0, t0 + nt) of an interleaved segment (keys and values both interleaved), class
// by class. st.qf must hold the interleaved q order and acc true values.
template <int D>
__device__ __forceinline__ void tile_interleaved(const dec_tensor& k, const dec_tensor& v, int t0, int nt,
                                                 il_slots& sl, dec_state<D>& st) {
  const int lane = threadIdx.x & 31;
  int cls[2];  // (key width | value width << 5) of tokens lane, lane + 32; 0: none left
  uint32_t koff[2], voff[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int tok = t0 + lane + 32 * h;
    const bool ok = lane + 32 * h < nt;
    cls[h] = ok ? k.widths[tok] | (v.widths[tok] << 5) : 0;
    koff[h] = ok ? k.word_offset[tok] : 0u;
    voff[h] = ok ? v.word_offset[tok] : 0u;
  }
  const uint32_t below = (1u << lane) - 1u;
  for (;;) {
    const uint32_t pend0 = __ballot_sync(0xffffffffu, cls[0] != 0), pend1 = __ballot_sync(0xffffffffu, cls[1] != 0);
    if ((pend0 | pend1) == 0) break;
    const int cur = pend0 ? __shfl_sync(0xffffffffu, cls[0], __ffs(pend0) - 1)
                          : __shfl_sync(0xffffffffu, cls[1], __ffs(pend1) - 1);
    const bool in0 = cls[0] == cur, in1 = cls[1] == cur;
    const uint32_t m0 = __ballot_sync(0xffffffffu, in0), m1 = __ballot_sync(0xffffffffu, in1);
    const int n0 = __popc(m0), n = n0 + __popc(m1);
    __syncwarp();  // the previous class's chunks have read the slots
    if (in0) {
      const int s = __popc(m0 & below);
      sl.tok[s] = lane;
      sl.koff[s] = koff[0];
      sl.voff[s] = voff[0];
      cls[0] = 0;
    }
    if (in1) {
      const int s = n0 + __popc(m1 & below);
      sl.tok[s] = lane + 32;
      sl.koff[s] = koff[1];
      sl.voff[s] = voff[1];
      cls[1] = 0;
    }
    __syncwarp();
    for (int c0 = 0; c0 < n; c0 += 16) chunk_interleaved<D>(k, v, t0, sl, c0, n, cur & 31, cur >> 5, st);
  }
}

}  // namespace wq::kernels::detail
