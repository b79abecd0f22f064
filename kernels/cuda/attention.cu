// Kernel bodies and launcher of attention_over_segments (see attention_kernel.cuh).
#include "kernels/cuda/attention.cuh"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <stdexcept>
#include <string>

#include "kernels/cuda/attention_combine.cuh"
#include "kernels/cuda/attention_decode_kernel.cuh"
#include "kernels/cuda/attention_kernel.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_query_cache.h"
#include "kernels/dispatch.h"

namespace wq::kernels {
namespace detail {

template <int D, int NT>
__device__ __forceinline__ void load_queries(const kernel_args& args, int seq, int kv_head,
                                             int row_tile, float* q_block_sum, warp_state<D, NT>& w) {
  const int lane = threadIdx.x & 31, gq = lane >> 2, tq = lane & 3;
  const int group = args.q_heads / args.kv_heads;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const int row = row_tile * 8 * NT + nt * 8 + gq;
    const bool ok = row < args.rows;
    const int qt = ok ? row / group : 0, head = kv_head * group + (ok ? row % group : 0);
    const int64_t base = ((static_cast<int64_t>(seq) * args.q_tokens + qt) * args.q_heads + head) * D;
    float part[D / 16];
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      float v[4];
      const int chs[4] = {ks * 16 + 2 * tq, ks * 16 + 2 * tq + 1, ks * 16 + 2 * tq + 8, ks * 16 + 2 * tq + 9};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        float x = 0.f;
        if (ok) {
          x = args.bf16 ? __bfloat162float(static_cast<const __nv_bfloat16*>(args.q)[base + chs[i]])
                        : __half2float(static_cast<const __half*>(args.q)[base + chs[i]]);
        }
        v[i] = __half2float(__float2half_rn(x * args.scale_log2));  // what the mma sees
      }
      w.q[nt][ks][0] = as_u32(__floats2half2_rn(v[0], v[1]));
      w.q[nt][ks][1] = as_u32(__floats2half2_rn(v[2], v[3]));
      part[ks] = v[0] + v[1] + v[2] + v[3];
    }
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
      float p = part[ks];
      p += __shfl_xor_sync(0xffffffffu, p, 1);
      p += __shfl_xor_sync(0xffffffffu, p, 2);
      if (threadIdx.x < 32 && tq == 0) q_block_sum[(nt * 8 + gq) * (D / 16) + ks] = p;  // read after a barrier
    }
    w.m[nt][0] = w.m[nt][1] = -INFINITY;
    w.l[nt][0] = w.l[nt][1] = 0.f;
#pragma unroll
    for (int mt = 0; mt < D / 16; ++mt) w.acc[mt][nt][0] = w.acc[mt][nt][1] = w.acc[mt][nt][2] = w.acc[mt][nt][3] = 0.f;
  }
}

// Online softmax of this warp's 16 scores per row; returns P as B fragments (via a per-warp
// shared transpose: the QK accumulator layout is [token][row], the PV operand is [row][token]).
template <int D, int NT>
__device__ __forceinline__ void softmax_update(float (&s)[NT][4], int valid_tokens, __half* p_smem,
                                               warp_state<D, NT>& w, uint32_t (&p_frag)[NT][2]) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  const int tok0 = warp * 16 + gq, tok1 = tok0 + 8;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    if (tok0 >= valid_tokens) s[nt][0] = s[nt][1] = -INFINITY;
    if (tok1 >= valid_tokens) s[nt][2] = s[nt][3] = -INFINITY;
    float alpha[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = fmaxf(s[nt][r], s[nt][r + 2]);
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 4));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 8));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 16));
      const float m_new = fmaxf(w.m[nt][r], mx);
      const float m_safe = m_new == -INFINITY ? 0.f : m_new;  // all masked so far: no NaN
      alpha[r] = exp2_approx(w.m[nt][r] - m_safe);
      w.m[nt][r] = m_new;
      s[nt][r] = exp2_approx(s[nt][r] - m_safe);
      s[nt][r + 2] = exp2_approx(s[nt][r + 2] - m_safe);
      w.l[nt][r] = w.l[nt][r] * alpha[r] + s[nt][r] + s[nt][r + 2];
    }
#pragma unroll
    for (int mt = 0; mt < D / 16; ++mt) {
      w.acc[mt][nt][0] *= alpha[0];
      w.acc[mt][nt][1] *= alpha[1];
      w.acc[mt][nt][2] *= alpha[0];
      w.acc[mt][nt][3] *= alpha[1];
    }
    __half* pw = p_smem + (warp * NT + nt) * 8 * 16;  // [8 rows][16 tokens]
    pw[(2 * tq) * 16 + gq] = __float2half_rn(s[nt][0]);
    pw[(2 * tq + 1) * 16 + gq] = __float2half_rn(s[nt][1]);
    pw[(2 * tq) * 16 + gq + 8] = __float2half_rn(s[nt][2]);
    pw[(2 * tq + 1) * 16 + gq + 8] = __float2half_rn(s[nt][3]);
  }
  __syncwarp();
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
    const __half* pw = p_smem + (warp * NT + nt) * 8 * 16;
    p_frag[nt][0] = *reinterpret_cast<const uint32_t*>(&pw[gq * 16 + 2 * tq]);
    p_frag[nt][1] = *reinterpret_cast<const uint32_t*>(&pw[gq * 16 + 2 * tq + 8]);
  }
  __syncwarp();
}

template <int D, int NT, bool FAST>
__device__ __forceinline__ void compute_tile(const stage_buffer<D>& st, const segment_view& seg,
                                             int seg_index, int kv_head, int t0, int nt_tokens,
                                             __half* p_smem, warp_state<D, NT>& w) {
  const tile_geom kg = st.k_geom, vg = st.v_geom;  // computed once at issue time
  float s[NT][4];
  const tensor_view& kv = seg.key;
  if (kv.format == tensor_format::dense16) {
    qk_dense<D, NT>(kv, kv_head, t0, nt_tokens, w, s);
  } else if constexpr (FAST) {
    switch (kv.storage_bits) {
      case 1: qk_per_channel<D, NT, 1>(st, kg, kv, seg_index, t0, w, s); break;
      case 2: qk_per_channel<D, NT, 2>(st, kg, kv, seg_index, t0, w, s); break;
      case 4: qk_per_channel<D, NT, 4>(st, kg, kv, seg_index, t0, w, s); break;
      default: qk_per_channel<D, NT, 8>(st, kg, kv, seg_index, t0, w, s); break;
    }
  } else if (kv.format == tensor_format::interleaved) {
    qk_per_token<D, NT, kFmtRuntime>(st, kg, kv, w, s);
  } else {
    const int id = storage_id(kv);
    const bool per_channel = kv.axis == group_axis::tokens;
#define WQ_QK_CASE(F)                                                              \
  case F:                                                                          \
    if (per_channel) qk_per_channel<D, NT, F>(st, kg, kv, seg_index, t0, w, s);   \
    else qk_per_token<D, NT, F>(st, kg, kv, w, s);                                 \
    break;
    switch (id) { WQ_QK_CASE(1) WQ_QK_CASE(2) WQ_QK_CASE(3) WQ_QK_CASE(4) WQ_QK_CASE(8) WQ_QK_CASE(kFmtBase3) default: break; }
#undef WQ_QK_CASE
  }
  uint32_t p_frag[NT][2];
  softmax_update<D, NT>(s, nt_tokens, p_smem, w, p_frag);
  const tensor_view& vv = seg.value;
  if (vv.format == tensor_format::dense16) {
    pv_dense<D, NT>(vv, kv_head, t0, nt_tokens, p_frag, w);
  } else if constexpr (FAST) {
    switch (vv.storage_bits) {
      case 1: pv_per_token<D, NT, 1>(st, vg, vv, p_frag, w); break;
      case 2: pv_per_token<D, NT, 2>(st, vg, vv, p_frag, w); break;
      case 4: pv_per_token<D, NT, 4>(st, vg, vv, p_frag, w); break;
      default: pv_per_token<D, NT, 8>(st, vg, vv, p_frag, w); break;
    }
  } else if (vv.format == tensor_format::interleaved) {
    pv_per_token<D, NT, kFmtRuntime>(st, vg, vv, p_frag, w);
  } else {
    switch (storage_id(vv)) {
      case 1: pv_per_token<D, NT, 1>(st, vg, vv, p_frag, w); break;
      case 2: pv_per_token<D, NT, 2>(st, vg, vv, p_frag, w); break;
      case 3: pv_per_token<D, NT, 3>(st, vg, vv, p_frag, w); break;
      case 4: pv_per_token<D, NT, 4>(st, vg, vv, p_frag, w); break;
      case 8: pv_per_token<D, NT, 8>(st, vg, vv, p_frag, w); break;
      case kFmtBase3: pv_per_token<D, NT, kFmtBase3>(st, vg, vv, p_frag, w); break;
      default: break;
    }
  }
}

template <int D>
struct issue_state {
  scale_prefetch<D, stage_sizes<D>::k_prefetch> k;
  scale_prefetch<D, stage_sizes<D>::v_prefetch> v;
  uint32_t desc_word = 0;
  tile_geom kg, vg;
};

template <int D>
__device__ __forceinline__ void issue_tile(const segment_view& seg, int kv_head, int t0, int nt,
                                           stage_buffer<D>& st, issue_state<D>& is) {
  is.kg = make_geom<D>(seg.key, seg.tokens, t0, nt);
  is.vg = make_geom<D>(seg.value, seg.tokens, t0, nt);
  const tile_geom& kg = is.kg;
  const tile_geom& vg = is.vg;
  issue_words<D>(seg.key, kv_head, seg.tokens, t0, nt, kg, st.k_words, st.k_row_offset);
  issue_words<D>(seg.value, kv_head, seg.tokens, t0, nt, vg, st.v_words, st.v_row_offset);
  cp_async_commit();
  load_scales<D>(seg.key, kv_head, seg.tokens, t0, nt, kg, is.k);
  load_scales<D>(seg.value, kv_head, seg.tokens, t0, nt, vg, is.v);
  if (threadIdx.x < kDescWords) is.desc_word = reinterpret_cast<const uint32_t*>(&seg)[threadIdx.x];
}

template <int D>
__device__ __forceinline__ void store_tile(const segment_view& seg, int t0, int nt,
                                           stage_buffer<D>& st, const issue_state<D>& is) {
  const tile_geom& kg = is.kg;
  const tile_geom& vg = is.vg;
  if (threadIdx.x == 0) {
    st.k_geom = kg;
    st.v_geom = vg;
  }
  store_scales<D>(seg.key, kg, is.k, st.k_scale, st.k_min, st.k_row_offset, st.k_row_bits);
  store_scales<D>(seg.value, vg, is.v, st.v_scale, st.v_min, st.v_row_offset, st.v_row_bits);
  if (threadIdx.x < kDescWords) reinterpret_cast<uint32_t*>(&st.desc)[threadIdx.x] = is.desc_word;
}

template <int D, int NT>
struct kernel_smem {
  stage_buffer<D> stage[2];
  __half p[4 * NT * 8 * 16];
  float q_block_sum[NT * 8 * (D / 16)];
};

// grid: (splits, row tiles, batch·kv_heads); block: 128 threads.
// The lean decode kernel is capped at 168 registers (3 blocks per SM): measured at 254
// registers and 2 blocks per SM it was latency-bound (dependent shared-load -> unpack -> mma
// chains with only 2 warps per scheduler to hide them).
template <int D, int NT, bool FAST>
__global__ void __launch_bounds__(kThreads, (FAST && NT == 1) ? 3 : 2) attention_split_kernel(const kernel_args args) {
  __shared__ __align__(16) kernel_smem<D, NT> sm;
  const int split = blockIdx.x, row_tile = blockIdx.y;
  const int seq = blockIdx.z / args.kv_heads, kv_head = blockIdx.z % args.kv_heads;
  const segment_view* table = args.segments + static_cast<int64_t>(seq) * args.num_segments;
  const segment_view& last = table[args.num_segments - 1];
  const int total_tiles = last.tile_begin + (last.tokens + kTileTokens - 1) / kTileTokens;
  const int tile_lo = split * args.tiles_per_split;
  const int tile_hi = min(total_tiles, tile_lo + args.tiles_per_split);

  warp_state<D, NT> w;
  load_queries<D, NT>(args, seq, kv_head, row_tile, sm.q_block_sum, w);
  w.q_block_sum = sm.q_block_sum;

  // First segment holding tile_lo: last segment whose tile_begin <= tile_lo and has tiles.
  int s_idx = 0;
  {
    int lo = 0, hi = args.num_segments - 1;
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (table[mid].tile_begin <= tile_lo) lo = mid; else hi = mid - 1;
    }
    s_idx = lo;
    while (s_idx < args.num_segments - 1 && table[s_idx].tokens == 0) ++s_idx;
  }
  int t0 = (tile_lo - table[s_idx].tile_begin) * kTileTokens;
  issue_state<D> is;
  const int n_tiles = max(0, tile_hi - tile_lo);
  if (n_tiles > 0) {
    issue_tile<D>(table[s_idx], kv_head, t0, min(kTileTokens, table[s_idx].tokens - t0), sm.stage[0], is);
    store_tile<D>(table[s_idx], t0, min(kTileTokens, table[s_idx].tokens - t0), sm.stage[0], is);
  }
  for (int i = 0; i < n_tiles; ++i) {
    cp_async_wait_all();
    __syncthreads();
    const segment_view& seg = sm.stage[i & 1].desc;  // shared-memory copy of table[s_idx]
    const int nt = min(kTileTokens, seg.tokens - t0);
    // Next tile: advance within the segment or to the next segment with tokens.
    int n_s = s_idx, n_t0 = t0 + kTileTokens;
    if (n_t0 >= seg.tokens) {
      n_t0 = 0;
      do { ++n_s; } while (n_s < args.num_segments && table[n_s].tokens == 0);
    }
    const bool more = i + 1 < n_tiles;
    const segment_view& next = n_s == s_idx ? seg : table[more ? n_s : s_idx];
    if (more) issue_tile<D>(next, kv_head, n_t0, min(kTileTokens, next.tokens - n_t0), sm.stage[(i + 1) & 1], is);
    compute_tile<D, NT, FAST>(sm.stage[i & 1], seg, s_idx, kv_head, t0, nt, sm.p, w);
    if (more) store_tile<D>(next, n_t0, min(kTileTokens, next.tokens - n_t0), sm.stage[(i + 1) & 1], is);
    s_idx = n_s;
    t0 = n_t0;
  }
  cp_async_wait_all();
  __syncthreads();

  // Merge the 4 warps' states (each warp is its own split of the block's tokens).
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, gq = lane >> 2, tq = lane & 3;
  constexpr int R = NT * 8;
  float* red = reinterpret_cast<float*>(&sm.stage[0]);  // [4][R][D] then m,l [4][R]
  static_assert(sizeof(stage_buffer<D>) * 2 >= sizeof(float) * (4 * R * D + 8 * R), "merge space");
  float* red_m = red + 4 * R * D;
  float* red_l = red_m + 4 * R;
#pragma unroll
  for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float l = w.l[nt][r];
      l += __shfl_xor_sync(0xffffffffu, l, 4);
      l += __shfl_xor_sync(0xffffffffu, l, 8);
      l += __shfl_xor_sync(0xffffffffu, l, 16);
      const int row = nt * 8 + 2 * tq + r;
      if (gq == 0) {
        red_m[warp * R + row] = w.m[nt][r];
        red_l[warp * R + row] = l;
      }
#pragma unroll
      for (int mt = 0; mt < D / 16; ++mt) {
        red[(warp * R + row) * D + mt * 16 + gq] = w.acc[mt][nt][r];
        red[(warp * R + row) * D + mt * 16 + gq + 8] = w.acc[mt][nt][r + 2];
      }
    }
  }
  __syncthreads();
  const int64_t head_rows = static_cast<int64_t>(blockIdx.z) * args.rows;
  for (int e = threadIdx.x; e < R * D; e += kThreads) {
    const int row = e / D, ch = e - row * D;
    const int grow = row_tile * R + row;
    if (grow >= args.rows) continue;
    float mx = -INFINITY;
    for (int k = 0; k < 4; ++k) mx = fmaxf(mx, red_m[k * R + row]);
    const float ms = mx == -INFINITY ? 0.f : mx;
    float l = 0.f, o = 0.f;
    for (int k = 0; k < 4; ++k) {
      const float f = exp2f(red_m[k * R + row] - ms);
      l += f * red_l[k * R + row];
      o += f * red[(k * R + row) * D + ch];
    }
    const int64_t slot = (head_rows + grow) * args.splits + split;
    args.o_part[slot * D + ch] = l > 0.f ? o / l : 0.f;
    if (ch == 0) args.lse_part[slot] = l > 0.f ? mx + log2f(l) : -INFINITY;
  }
}

}  // namespace detail

namespace {

struct launch_plan {
  int nt = 1, rows = 0, row_tiles = 0, splits = 1, tiles_per_split = 1;
  bool decode = false;  // warp-independent decode kernel (attention_decode.cuh)
};

int device_sm_count() {
  return cached_query(0, [](int dev) {
    int sms = 0;
    WQ_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    return sms;
  });
}

// Blocks of the chosen instantiation that fit on one SM (registers and shared memory decide).
// fast_formats as attention_shape; decode: the decode kernel (its interleaved instantiation
// when fast_formats == 2), else the split kernel (its lean one when fast_formats == 1).
int resident_blocks(int head_dim, int nt, int fast_formats, bool decode) {
  const auto key = std::make_tuple(head_dim, nt, fast_formats, decode);
  return cached_query(key, [&](int) {
    int blocks = 1;
    dispatch_head_dim(head_dim, [&](auto dim) {
      constexpr int D = decltype(dim)::value;
      const bool lean = fast_formats == 1;
      const void* fn = decode ? (fast_formats == 2 ? reinterpret_cast<const void*>(&detail::attention_decode_kernel<D, true>)
                                                   : reinterpret_cast<const void*>(&detail::attention_decode_kernel<D, false>))
                       : lean ? (nt == 1 ? reinterpret_cast<const void*>(&detail::attention_split_kernel<D, 1, true>)
                                         : reinterpret_cast<const void*>(&detail::attention_split_kernel<D, 2, true>))
                              : (nt == 1 ? reinterpret_cast<const void*>(&detail::attention_split_kernel<D, 1, false>)
                                         : reinterpret_cast<const void*>(&detail::attention_split_kernel<D, 2, false>));
      WQ_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, fn, decode ? detail::kDecThreads : detail::kThreads, 0));
    });
    return std::max(1, blocks);
  });
}

launch_plan plan_launch(const attention_shape& s) {
  if (s.batch < 1 || s.q_heads < 1 || s.kv_heads < 1 || s.q_tokens < 1 || s.num_segments < 1)
    throw std::invalid_argument("attention: batch, heads, q_tokens and num_segments must be >= 1");
  if (s.q_heads % s.kv_heads != 0)
    throw std::invalid_argument("attention: q_heads " + std::to_string(s.q_heads) +
                                " is not a multiple of kv_heads " + std::to_string(s.kv_heads));
  launch_plan p;
  p.rows = s.q_tokens * (s.q_heads / s.kv_heads);
  p.nt = p.rows <= 8 ? 1 : 2;
  p.row_tiles = (p.rows + 8 * p.nt - 1) / (8 * p.nt);
  p.decode = s.fast_formats != 0 && p.rows <= 8;
  const int tiles = std::max(1, s.max_tiles);
  if (p.decode) {
    // The 4 warps of a block take the block's range in runs (attention_decode.cuh): one full
    // wave of resident blocks, ranges a multiple of 4 tiles, of 8 (pairs) when longer than 4.
    const long long base = static_cast<long long>(s.batch) * s.kv_heads;
    const long long want = static_cast<long long>(resident_blocks(s.head_dim, 1, s.fast_formats, true)) * device_sm_count();
    const int splits = static_cast<int>(std::max(1LL, want / base));
    int tps = (tiles + splits - 1) / splits;
    const int round = tps > detail::kDecWarps ? 2 * detail::kDecWarps : detail::kDecWarps;
    tps = (tps + round - 1) / round * round;
    p.tiles_per_split = std::max(tps, (tiles + detail::kMaxSplits - 1) / detail::kMaxSplits);
    p.splits = (tiles + p.tiles_per_split - 1) / p.tiles_per_split;
    return p;
  }
  // One full wave of resident blocks (equal work per split, so more waves only add a tail),
  // but at least 2 tiles per block so the prefetch has something to overlap.
  const long long base = static_cast<long long>(p.row_tiles) * s.batch * s.kv_heads;
  const long long want = static_cast<long long>(resident_blocks(s.head_dim, p.nt, s.fast_formats, false)) * device_sm_count();
  int splits = static_cast<int>(std::max(1LL, want / base));
  splits = std::min(splits, std::max(1, tiles / 2));
  p.tiles_per_split = (tiles + splits - 1) / splits;
  p.splits = (tiles + p.tiles_per_split - 1) / p.tiles_per_split;
  if (p.splits > detail::kMaxSplits) {  // the combine kernel keeps one weight per split
    p.tiles_per_split = (tiles + detail::kMaxSplits - 1) / detail::kMaxSplits;
    p.splits = (tiles + p.tiles_per_split - 1) / p.tiles_per_split;
  }
  return p;
}

}  // namespace

size_t attention_workspace_bytes(const attention_shape& shape) {
  const launch_plan p = plan_launch(shape);
  const size_t slots = static_cast<size_t>(shape.batch) * shape.kv_heads * p.rows * p.splits;
  return slots * (static_cast<size_t>(shape.head_dim) + 1) * sizeof(float) + 256;
}

void check_segment_supported(const segment_view& seg, int head_dim) {
  auto check = [&](const tensor_view& tv, const char* name, bool is_key) {
    const std::string who = std::string("attention: ") + name + ": ";
    switch (tv.format) {
      case tensor_format::empty:
        if (seg.tokens != 0) throw std::invalid_argument(who + "empty format on a non-empty segment");
        return;
      case tensor_format::dense16: return;
      case tensor_format::interleaved:
      case tensor_format::packed:
        if (tv.group_size < 16 || tv.group_size % 16 != 0)
          throw std::invalid_argument(who + "group_size " + std::to_string(tv.group_size) + " is not a multiple of 16");
        if (tv.format == tensor_format::packed && tv.axis == group_axis::tokens) {
          if (!is_key) throw std::invalid_argument(who + "values must be quantized per token (axis channels)");
        } else if (head_dim / tv.group_size > detail::kMaxTokenGroups || head_dim % tv.group_size != 0) {
          throw std::invalid_argument(who + "per-token group_size " + std::to_string(tv.group_size) +
                                      " must divide head_dim into at most 8 groups");
        }
        if (tv.format == tensor_format::packed && !tv.base3 && tv.storage_bits != 1 && tv.storage_bits != 2 &&
            tv.storage_bits != 3 && tv.storage_bits != 4 && tv.storage_bits != 8)
          throw std::invalid_argument(who + "unsupported storage_bits " + std::to_string(tv.storage_bits));
        return;
    }
  };
  check(seg.key, "key", true);
  check(seg.value, "value", false);
}

void attention_over_segments(const attention_shape& shape, const void* q, const segment_view* segments,
                             void* out, float* lse, void* workspace, size_t workspace_bytes,
                             cudaStream_t stream) {
  const launch_plan p = plan_launch(shape);
  if (workspace_bytes < attention_workspace_bytes(shape))
    throw std::invalid_argument("attention: workspace too small");
  detail::kernel_args args{};
  args.q = q;
  args.segments = segments;
  const size_t slots = static_cast<size_t>(shape.batch) * shape.kv_heads * p.rows * p.splits;
  args.o_part = static_cast<float*>(workspace);
  args.lse_part = args.o_part + slots * shape.head_dim;
  args.q_heads = shape.q_heads;
  args.kv_heads = shape.kv_heads;
  args.q_tokens = shape.q_tokens;
  args.num_segments = shape.num_segments;
  args.splits = p.splits;
  args.tiles_per_split = p.tiles_per_split;
  args.rows = p.rows;
  const float scale = shape.scale > 0.f ? shape.scale : 1.0f / std::sqrt(static_cast<float>(shape.head_dim));
  args.scale_log2 = scale * 1.4426950408889634f;
  args.bf16 = shape.bf16;
  dispatch_head_dim(shape.head_dim, [&](auto dim) {
    constexpr int D = decltype(dim)::value;
    const dim3 grid(p.splits, p.row_tiles, shape.batch * shape.kv_heads);
    if (p.decode) {
      if (shape.fast_formats == 2) detail::attention_decode_kernel<D, true><<<grid, detail::kDecThreads, 0, stream>>>(args);
      else detail::attention_decode_kernel<D, false><<<grid, detail::kDecThreads, 0, stream>>>(args);
    } else if (shape.fast_formats == 1) {
      if (p.nt == 1) detail::attention_split_kernel<D, 1, true><<<grid, detail::kThreads, 0, stream>>>(args);
      else detail::attention_split_kernel<D, 2, true><<<grid, detail::kThreads, 0, stream>>>(args);
    } else {
      if (p.nt == 1) detail::attention_split_kernel<D, 1, false><<<grid, detail::kThreads, 0, stream>>>(args);
      else detail::attention_split_kernel<D, 2, false><<<grid, detail::kThreads, 0, stream>>>(args);
    }
    WQ_CUDA_CHECK_LAUNCH();
    const unsigned blocks = static_cast<unsigned>(shape.batch) * shape.kv_heads * p.rows;
    const dim3 cgrid(blocks, D / detail::kCombineChannels);
    // Programmatic dependent launch: the combine is launched while the attention blocks
    // finish (it waits for their results in griddepcontrol.wait), not after them.
    cudaLaunchAttribute pdl[1];
    pdl[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
    pdl[0].val.programmaticStreamSerializationAllowed = 1;
    cudaLaunchConfig_t config{};
    config.gridDim = cgrid;
    config.blockDim = dim3(detail::kCombineThreads);
    config.stream = stream;
    config.attrs = pdl;
    config.numAttrs = 1;
    WQ_CUDA_CHECK(cudaLaunchKernelEx(&config, detail::attention_combine_kernel<D>, args, out, lse));
  });
}

}  // namespace wq::kernels
