// The warp-independent decode kernel (grid, tile loop, 4-warp merge) over the tile code of
// attention_decode.cuh (packed and dense segments) and attention_decode_interleaved.cuh.
#pragma once

#include "kernels/cuda/attention_decode.cuh"
#include "kernels/cuda/attention_decode_interleaved.cuh"

namespace wq::kernels::detail {

// grid: (splits, 1, batch·kv_heads); block: 4 independent warps, each on its own tiles.
// kInterleaved: the table holds token-interleaved segments (classify_table() == 2); a separate
// instantiation, so the other formats' code is compiled as without them.
// Registers capped for 3 blocks per SM (168); the interleaved instantiation for 4 (128): its
// per-token offset and scale loads leave it waiting on memory more, so more warps pay more
// than the spills cost (docs/kernels.md, "Performance"), while the packed tiles ran ~15 %
// slower at 128.
template <int D, bool kInterleaved>
__global__ void __launch_bounds__(kDecThreads, kInterleaved ? 4 : 3) attention_decode_kernel(const kernel_args args) {
  __shared__ __align__(16) float red[kDecWarps * 8 * D + 2 * kDecWarps * 8];
  // The current segment's tensors, per warp (registers are the scarce resource in the loop).
  __shared__ dec_tensor seg_desc[kDecWarps][2];
  __shared__ uint32_t q_stage[kDecWarps][D / 8 * 32];   // q in B-fragment order, per warp
  __shared__ uint32_t sm_stage[kDecWarps][D / 2 + D];   // key scales (half2) and mins (float)
  __shared__ uint32_t qf_stage[kDecWarps][D / 8 * 32];  // dec_state::qf
  __shared__ il_slots il_stage[kInterleaved ? kDecWarps : 1];
  const int split = blockIdx.x;
  const int seq = blockIdx.z / args.kv_heads, kv_head = blockIdx.z % args.kv_heads;
  const segment_view* table = args.segments + static_cast<int64_t>(seq) * args.num_segments;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const segment_view& last = table[args.num_segments - 1];
  const int total_tiles = last.tile_begin + (last.tokens + kTileTokens - 1) / kTileTokens;
  const int tile_lo = split * args.tiles_per_split;
  const int tile_hi = min(total_tiles, tile_lo + args.tiles_per_split);

  dec_state<D> st;
  st.qf = qf_stage[warp];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    st.m[r] = -INFINITY;
    st.l[r] = st.mm[r] = 0.f;
    st.bias[r] = 0.f;
  }
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) st.acc[mt][0] = st.acc[mt][1] = st.acc[mt][2] = st.acc[mt][3] = 0.f;
  st.acc_bits = 0;

  stage_query<D>(args, seq, kv_head, q_stage[warp]);
  int s_idx = -1, seg_begin = 0, seg_end = 0, seg_tokens = 0;
  const dec_tensor& kt = seg_desc[warp][0];
  const dec_tensor& vt = seg_desc[warp][1];
  // A warp takes runs of `run` adjacent tiles, the block's 4 warps side by side. Pairs (splits
  // of 8+ tiles) fold a 128-token key group into q once per pair instead of once per tile,
  // and the pair's second tile finds its key words in L2 (a 32-byte sector of a 2-bit key row
  // holds two tiles).
  const int run = args.tiles_per_split % (2 * kDecWarps) == 0 ? 2 : 1;
  for (int i = 0;; ++i) {
    const int tile = tile_lo + (i / run) * (run * kDecWarps) + warp * run + i % run;
    if (tile >= tile_hi) break;  // a warp's tiles only grow
    if (tile >= seg_end) {
      if (s_idx < 0) {  // last segment whose first tile <= tile (it holds the tile; see kernel docs)
        int lo = 0, hi = args.num_segments - 1;
        while (lo < hi) {
          const int mid = (lo + hi + 1) / 2;
          if (table[mid].tile_begin <= tile) lo = mid; else hi = mid - 1;
        }
        s_idx = lo - 1;
      }
      do {
        ++s_idx;
        seg_begin = table[s_idx].tile_begin;
        seg_tokens = table[s_idx].tokens;
        seg_end = seg_begin + (seg_tokens + kTileTokens - 1) / kTileTokens;
      } while (tile >= seg_end);
      __syncwarp();
      if (lane == 0) {
        seg_desc[warp][0] = load_tensor<D>(table[s_idx].key, seg_tokens, kv_head, true);
        seg_desc[warp][1] = load_tensor<D>(table[s_idx].value, seg_tokens, kv_head, false);
      }
      __syncwarp();
      // Values with folded scales accumulate raw codes (code·2^(bit−24) per channel; slice::raw).
      const bool vfold = vt.format == static_cast<int>(tensor_format::packed) && vt.group == D;
      set_acc_bits<D>(st, vfold ? vt.bits : 0);
    }
    const int t0 = (tile - seg_begin) * kTileTokens;
    const int nt = min(kTileTokens, seg_tokens - t0);
    if constexpr (kInterleaved) {
      if (kt.format == static_cast<int>(tensor_format::interleaved)) {
        if (st.qf_seg != kQfInterleaved) {
          set_query_interleaved<D>(args, seq, kv_head, st);
          st.qf_seg = kQfInterleaved;
          st.qf_group = -1;
        }
        tile_interleaved<D>(kt, vt, t0, nt, il_stage[warp], st);
        continue;
      }
    }
    const bool kpacked = kt.format == static_cast<int>(tensor_format::packed);
    const bool kfold = kpacked && (kt.group & 63) == 0;
    const int want_seg = kfold ? s_idx : -1, want_group = kfold ? div_fast(t0, kt.group) : -1;
    if (want_seg != st.qf_seg || want_group != st.qf_group) {
      st.qf_seg = want_seg;
      st.qf_group = want_group;
      set_query_operand<D>(kt, want_group, q_stage[warp], sm_stage[warp], st);
    }

    const bool vpacked = vt.format == static_cast<int>(tensor_format::packed);
    const int kb = kpacked ? kt.bits : 0;
    const int vb = vpacked ? vt.bits : 0;
    if (kb == 0 && vb == 0) {
      tile_dense<D>(kt, vt, t0, nt, st);
    } else if (kb == vb && kfold && vt.group == D && nt == kTileTokens) {
      switch (kb) {
        case 1: tile_fast<D, 1>(kt, vt, t0, st); break;
        case 2: tile_fast<D, 2>(kt, vt, t0, st); break;
        case 4: tile_fast<D, 4>(kt, vt, t0, st); break;
        default: tile_fast<D, 8>(kt, vt, t0, st); break;
      }
    } else {
      tile_general<D>(kt, vt, t0, nt, kfold, st);
    }
  }

  allow_dependent_launch();  // the combine kernel may start launching during the merge
  set_acc_bits<D>(st, 0);    // true values
  // Warp totals: l and the value-min term summed over the thread slots.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
#pragma unroll
    for (int o = 4; o < 32; o <<= 1) {
      st.l[r] += __shfl_xor_sync(0xffffffffu, st.l[r], o);
      st.mm[r] += __shfl_xor_sync(0xffffffffu, st.mm[r], o);
    }
  }
  float* red_m = red + kDecWarps * 8 * D;
  float* red_l = red_m + kDecWarps * 8;
#pragma unroll
  for (int mt = 0; mt < D / 16; ++mt) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {  // row 2t + r, channels (D/8)·g + 2mt and + 1
      *reinterpret_cast<float2*>(red + (warp * 8 + 2 * t + r) * D + (D / 8) * g + 2 * mt) =
          make_float2(st.acc[mt][r] + st.mm[r], st.acc[mt][r + 2] + st.mm[r]);
    }
  }
  if (g == 0) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      red_m[warp * 8 + 2 * t + r] = st.m[r];
      red_l[warp * 8 + 2 * t + r] = st.l[r];
    }
  }
  __syncthreads();
  // Thread: one row, kRun consecutive channels, so a row's 4 warp weights are computed once
  // and the partials move 16 bytes at a time (was: one channel per thread and step, the
  // weights recomputed for each).
  constexpr int kRun = D * 8 / kDecThreads, kRowThreads = D / kRun;
  const int row = threadIdx.x / kRowThreads, ch0 = (threadIdx.x % kRowThreads) * kRun;
  if (row < args.rows) {
    float mx = -INFINITY;
#pragma unroll
    for (int k = 0; k < kDecWarps; ++k) mx = fmaxf(mx, red_m[k * 8 + row]);
    const float ms = mx == -INFINITY ? 0.f : mx;
    float w[kDecWarps], l = 0.f;
#pragma unroll
    for (int k = 0; k < kDecWarps; ++k) {
      w[k] = exp2f(red_m[k * 8 + row] - ms);
      l += w[k] * red_l[k * 8 + row];
    }
    const float inv = l > 0.f ? 1.f / l : 0.f;
    const int64_t slot = (static_cast<int64_t>(blockIdx.z) * args.rows + row) * args.splits + split;
#pragma unroll
    for (int c = 0; c < kRun; c += 4) {
      float4 o = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
      for (int k = 0; k < kDecWarps; ++k) {
        const float4 x = *reinterpret_cast<const float4*>(red + (k * 8 + row) * D + ch0 + c);
        o.x += w[k] * x.x;
        o.y += w[k] * x.y;
        o.z += w[k] * x.z;
        o.w += w[k] * x.w;
      }
      *reinterpret_cast<float4*>(args.o_part + slot * D + ch0 + c) = make_float4(o.x * inv, o.y * inv, o.z * inv, o.w * inv);
    }
    if (ch0 == 0) args.lse_part[slot] = l > 0.f ? mx + log2f(l) : -INFINITY;
  }
}

}  // namespace wq::kernels::detail
