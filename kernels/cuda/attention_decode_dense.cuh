// The decode kernel's full-precision tail (dense16 segments: [T][D] in the query dtype):
// QK and PV over one 64-token tile, operands straight from global memory (see
// attention_decode.cuh for the fragment layouts they share with the packed path).
#pragma once

#include "kernels/cuda/attention_decode_codes.cuh"

namespace wq::kernels::detail {

// a pair of dense16 values (query dtype) as half2
__device__ __forceinline__ uint32_t to_half2(uint32_t raw, bool bf16) {
  if (!bf16) return raw;
  const float2 f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw));
  return as_u32(__floats2half2_rn(f.x, f.y));
}

// dense16 keys ([T][D] in the query dtype, converted to fp16). Rows past the tile's last
// valid token reread that token (finite; their scores are masked), so the loads carry no
// predicate and each pair of chunks is one round trip: 8 bytes per (row, ks), 16-byte aligned
// rows (classify_table).
template <int D>
__device__ __forceinline__ void qk_dense(const dec_tensor& k, int t0, int nt, const dec_state<D>& st, float (&c)[4][4]) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const uint32_t* base = k.words + static_cast<int64_t>(t0) * (D / 2) + 2 * t;  // channels 16ks + 4t .. +3
#pragma unroll
  for (int pair = 0; pair < 2; ++pair) {
    uint2 raw[2][2][D / 16];  // [chunk of the pair][token 2j, 2j + 1][ks]
#pragma unroll
    for (int jj = 0; jj < 2; ++jj)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int tok = min(8 * g + 2 * (2 * pair + jj) + e, nt - 1);
        const uint2* row = reinterpret_cast<const uint2*>(base + static_cast<int64_t>(tok) * (D / 2));
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks) raw[jj][e][ks] = __ldg(row + 4 * ks);
      }
#pragma unroll
    for (int jj = 0; jj < 2; ++jj) {
      float (&cj)[4] = c[2 * pair + jj];
      cj[0] = cj[1] = cj[2] = cj[3] = 0.f;
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks) {
        const uint32_t a[4] = {to_half2(raw[jj][0][ks].x, k.bf16), to_half2(raw[jj][1][ks].x, k.bf16),
                               to_half2(raw[jj][0][ks].y, k.bf16), to_half2(raw[jj][1][ks].y, k.bf16)};
        mma_16816(cj, a, st.qf_at(ks, 0), st.qf_at(ks, 1));
      }
    }
  }
}

// dense16 values: the thread's D/8 channels of a token row are 16-byte aligned (classify_table);
// rows past the last valid token reread it (P is 0 there). Two chunks per round trip.
template <int D>
__device__ __forceinline__ void pv_dense(const dec_tensor& v, int t0, int nt, const uint32_t (&b)[4][2], dec_state<D>& st) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  constexpr int kVecs = D / 64;  // uint4 per thread per row (D/16 words)
  const uint32_t* base = v.words + static_cast<int64_t>(t0) * (D / 2) + g * (D / 16);
#pragma unroll
  for (int pair = 0; pair < 2; ++pair) {
    uint4 raw[2][4][kVecs];  // [chunk of the pair][token][16 bytes]
#pragma unroll
    for (int jj = 0; jj < 2; ++jj) {
      const int j = 2 * pair + jj;
      const int toks[4] = {16 * t + 2 * j, 16 * t + 8 + 2 * j, 16 * t + 2 * j + 1, 16 * t + 9 + 2 * j};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const uint4* row = reinterpret_cast<const uint4*>(base + static_cast<int64_t>(min(toks[i], nt - 1)) * (D / 2));
#pragma unroll
        for (int w = 0; w < kVecs; ++w) raw[jj][i][w] = __ldg(row + w);
      }
    }
#pragma unroll
    for (int jj = 0; jj < 2; ++jj) {
      uint32_t h[4][D / 16];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int w = 0; w < kVecs; ++w) {
          h[i][4 * w] = to_half2(raw[jj][i][w].x, v.bf16);
          h[i][4 * w + 1] = to_half2(raw[jj][i][w].y, v.bf16);
          h[i][4 * w + 2] = to_half2(raw[jj][i][w].z, v.bf16);
          h[i][4 * w + 3] = to_half2(raw[jj][i][w].w, v.bf16);
        }
#pragma unroll
      for (int mt = 0; mt < D / 16; ++mt) {
        const uint32_t a[4] = {__byte_perm(h[0][mt], h[1][mt], 0x5410), __byte_perm(h[0][mt], h[1][mt], 0x7632),
                               __byte_perm(h[2][mt], h[3][mt], 0x5410), __byte_perm(h[2][mt], h[3][mt], 0x7632)};
        mma_16816(st.acc[mt], a, b[2 * pair + jj][0], b[2 * pair + jj][1]);
      }
    }
  }
}

}  // namespace wq::kernels::detail
