// Fast paths of quantize_pack (quantize_pack.cu): asymmetric min/max groups (fp32 rule) of
// 1/2/4/8 bits that own whole words, fp16/bf16 input; per-token and per-channel kernels that
// take several tensors per launch. The arithmetic is quantize_pack_codes.cuh's, so the output
// is bit-identical to core/quant.
//
// The kernels are built for memory-level parallelism: every thread issues all of its loads
// (16-128 bytes) before any arithmetic, its index math is a handful of multiplies, and the
// per-group scale is computed by few lanes. (The previous versions reached 23-30 % of copy
// bandwidth: the per-token one spent most of its instructions on two 32-bit divisions and one
// IEEE division per 8 values, the per-channel one had one 4-byte load per thread in flight.)
#include "kernels/cuda/quantize_pack_fast.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_query_cache.h"
#include "kernels/cuda/quantize_pack_codes.cuh"

namespace wq::kernels::fast_pack {
namespace {

// Tasks of one launch (quantize_pack_many): a block finds its task by the prefix counts.
constexpr int kMaxTasks = 16;

template <int N>
__device__ __forceinline__ int task_of(const int (&first)[N], int count, int index) {
  int j = 0;
  while (j + 1 < count && index >= first[j + 1]) ++j;
  return j;
}

// Per-token groups. A thread quantizes V = min(G, 32) consecutive channels of one group (V/8
// 16-byte loads), the G/V lanes of a group meet by shuffles, and the thread stores its V·B
// bits in one or two stores. Rows are contiguous within a head, so a thread's values, codes
// and group lie at offsets proportional to its unit u: x + u·V, byte u·V·B/8, group u·V/G.
struct row_task {
  const uint16_t* x;
  int64_t x_head_stride, units_per_head;
  int bits, blocks_per_head;
  uint32_t* words;
  uint16_t* scales;
  uint16_t* mins;
};
struct row_launch {
  row_task task[kMaxTasks];
  int first_block[kMaxTasks];
  int count, group;
};

template <int B, int V, bool BF>
__device__ __forceinline__ void pack_row_unit(const row_task& tk, int64_t head, int64_t u, int group) {
  const int64_t units_per_head = tk.units_per_head;
  // Threads past the end redo the last unit (their whole group is past the end: no stores),
  // so every lane takes part in the shuffles.
  const int64_t uu = u < units_per_head ? u : units_per_head - 1;
  uint32_t raw[V / 2];
  const uint16_t* src = tk.x + head * tk.x_head_stride + uu * V;
#pragma unroll
  for (int i = 0; i < V / 8; ++i) load_words(src + 8 * i, raw + 4 * i);
  const int lanes = group / V;  // power of two <= 32, groups start at lane multiples
  float lo, hi;
  int nan;
  group_extremes<V, BF>(raw, lanes, lo, hi, nan);
  if (u >= units_per_head) return;
  const group_scale gs = group_scale::of(lo, hi, static_cast<float>((1u << B) - 1u), !BF && !nan);
  const int64_t elem = head * (units_per_head * V) + u * V;  // output element index (dense heads)
  pack_store<B, V, BF>(gs, raw, reinterpret_cast<char*>(tk.words) + elem * B / 8);
  if ((threadIdx.x & (lanes - 1)) == 0) {
    const int64_t gidx = elem / group;
    tk.scales[gidx] = gs.s16;
    tk.mins[gidx] = gs.m16;
  }
}

// One block = 256 units of one head of one task; the width is uniform per block.
template <int V, bool BF>
__global__ void __launch_bounds__(256, 6) pack_rows_kernel(const __grid_constant__ row_launch L) {
  const int j = task_of(L.first_block, L.count, static_cast<int>(blockIdx.x));
  const row_task& tk = L.task[j];
  const int local = static_cast<int>(blockIdx.x) - L.first_block[j];
  const int head = local / tk.blocks_per_head;
  const int64_t u = static_cast<int64_t>(local - head * tk.blocks_per_head) * blockDim.x + threadIdx.x;
  switch (tk.bits) {
    case 1: pack_row_unit<1, V, BF>(tk, head, u, L.group); break;
    case 2: pack_row_unit<2, V, BF>(tk, head, u, L.group); break;
    case 4: pack_row_unit<4, V, BF>(tk, head, u, L.group); break;
    default: pack_row_unit<8, V, BF>(tk, head, u, L.group); break;
  }
}

// Per-channel groups (a group = G consecutive tokens of one channel). A work item is one group
// of one head: G rows of C channels, contiguous in the input. Persistent blocks copy items into
// a ring of kStages shared-memory stages by 16-byte cp.async, kStages − 1 items ahead, so the
// loads of the next items are in flight while the current one is coded. Thread (pair p, slice
// q) owns channels 2p, 2p+1 over the slice's R = G/S tokens (whole words at every width of the
// launch): min/max on 16-bit pairs (exact), the S slices of a pair (adjacent lanes) meet by
// shuffles, then the thread codes and stores its words of both channels.
// G = 128, C = 128: 32 KB per stage, two blocks of 256 threads per SM (shared memory; 80
// registers under the launch bound; two or three stages measured alike). (The previous kernel
// loaded one group per block, met in shared memory and then computed with nothing in flight:
// 45 % of DRAM bandwidth.)
struct channel_task {
  const uint16_t* x;
  int64_t x_head_stride, row_words;
  int tokens, bits, groups_per_head;
  uint32_t* words;
  uint16_t* scales;
  uint16_t* mins;
};
struct channel_launch {
  channel_task task[kMaxTasks];
  int first_item[kMaxTasks];
  int count, items, channels, group;
  int slice_shift, slices;  // S = 2^shift token slices; a slice holds R = G / S rows
  int swizzle;  // chunk XOR per slice (rows of slice r >> row_shift): slices' rows land in different banks
  int row_shift;  // log2 R (R a power of two; else swizzle = 0)
};

__device__ __forceinline__ void cp_async16(void* smem, const void* gmem) {
  const uint32_t s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(s), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

struct channel_item {
  int task, head, group;
};
__device__ __forceinline__ channel_item locate(const channel_launch& L, int item) {
  const int j = task_of(L.first_item, L.count, item);
  const int local = item - L.first_item[j], head = local / L.task[j].groups_per_head;
  return {j, head, local - head * L.task[j].groups_per_head};
}

// Stage layout: [G rows][C/8 chunks of 16 bytes], chunk c of row r at c ^ (slice(r)·swizzle).
// Rows past the group's end repeat its last token (no effect on min/max; their codes are masked).
__device__ __forceinline__ void issue_item(const channel_launch& L, int item, uint4* stage) {
  const channel_item it = locate(L, item);
  const channel_task& tk = L.task[it.task];
  const int C = L.channels, G = L.group, chunks = C / 8;
  const int first = it.group * G, last = min(G, tk.tokens - first) - 1;
  const uint16_t* src = tk.x + it.head * tk.x_head_stride + static_cast<int64_t>(first) * C;
  const int c = threadIdx.x % chunks, rows_per_pass = blockDim.x / chunks;
  for (int r = threadIdx.x / chunks; r < G; r += rows_per_pass)
    cp_async16(stage + r * chunks + (c ^ ((r >> L.row_shift) * L.swizzle)), src + static_cast<int64_t>(min(r, last)) * C + c * 8);
}

template <int B, bool BF>
__device__ __forceinline__ void code_item(const channel_launch& L, const channel_item& it, const uint32_t* stage) {
  constexpr int c = 32 / B;
  const channel_task& tk = L.task[it.task];
  const int C = L.channels, G = L.group, S = L.slices, R = G >> L.slice_shift;
  const int q = threadIdx.x & (S - 1), p = threadIdx.x >> L.slice_shift;
  // A lane's rows all lie in its slice: its (swizzled) word column is fixed.
  const uint32_t* col = stage + (((p >> 2) ^ (q * L.swizzle)) << 2) + (p & 3);
  const int row_pairs = C / 2, r0 = q * R;
  uint32_t lo = col[r0 * row_pairs], hi = lo;
#pragma unroll 8
  for (int i = 1; i < R; ++i) {
    const uint32_t v = col[(r0 + i) * row_pairs];
    lo = min2<BF>(lo, v);
    hi = max2_seeing_nan<BF>(hi, v);
  }
  int nan = has_nan<BF>(hi);
  if (nan) {
    hi = col[r0 * row_pairs];
    for (int i = 1; i < R; ++i) hi = max2<BF>(hi, col[(r0 + i) * row_pairs]);
  }
  for (int off = 1; off < S; off <<= 1) {
    lo = min2<BF>(lo, __shfl_xor_sync(0xffffffffu, lo, off));
    hi = max2<BF>(hi, __shfl_xor_sync(0xffffffffu, hi, off));
    nan |= __shfl_xor_sync(0xffffffffu, nan, off);
  }
  constexpr float top = static_cast<float>((1u << B) - 1u);
  const group_scale g0 = group_scale::of(half_of<BF>(lo, 0), half_of<BF>(hi, 0), top, !BF && !nan);
  const group_scale g1 = group_scale::of(half_of<BF>(lo, 1), half_of<BF>(hi, 1), top, !BF && !nan);
  const int64_t row0 = static_cast<int64_t>(it.head) * C + 2 * p;  // output row of channel 2p
  if (q == 0) {
    const int64_t s0 = row0 * tk.groups_per_head + it.group;
    tk.scales[s0] = g0.s16, tk.mins[s0] = g0.m16;
    tk.scales[s0 + tk.groups_per_head] = g1.s16, tk.mins[s0 + tk.groups_per_head] = g1.m16;
  }
  const int n = tk.tokens - it.group * G;  // valid tokens of the group (may exceed G)
  const int64_t w_first = static_cast<int64_t>(it.group) * (G / c) + r0 / c;
  uint32_t* out0 = tk.words + row0 * tk.row_words;
  uint32_t* out1 = out0 + tk.row_words;
  // Pairs of words leave in one 8-byte store, so the S lanes of a channel write each 32-byte
  // sector with one instruction (4-byte stores: two partial writes per sector).
  const int words = R / c;
  const bool pairs = (words & 1) == 0 && (tk.row_words & 1) == 0 && w_first + words <= tk.row_words &&
                     reinterpret_cast<uintptr_t>(tk.words) % 8 == 0;
  uint32_t held0 = 0, held1 = 0;
  for (int w = 0; w < words && w_first + w < tk.row_words; ++w) {
    uint32_t v[c];
#pragma unroll
    for (int i = 0; i < c; ++i) v[i] = col[(r0 + w * c + i) * row_pairs];
    const int valid = n - (r0 + w * c);
    const uint32_t mask = valid >= c ? ~0u : (1u << (valid * B)) - 1u;
    const uint32_t c0 = pack_word<B, c, BF>(g0, [&](int i) { return half_of<BF>(v[i], 0); }) & mask;
    const uint32_t c1 = pack_word<B, c, BF>(g1, [&](int i) { return half_of<BF>(v[i], 1); }) & mask;
    if (!pairs) {
      out0[w_first + w] = c0, out1[w_first + w] = c1;
    } else if (w & 1) {
      *reinterpret_cast<uint2*>(out0 + w_first + w - 1) = make_uint2(held0, c0);
      *reinterpret_cast<uint2*>(out1 + w_first + w - 1) = make_uint2(held1, c1);
    } else {
      held0 = c0, held1 = c1;
    }
  }
}

constexpr int kStages = 3;

template <bool BF>
__global__ void __launch_bounds__(256, 3) pack_channels_kernel(const __grid_constant__ channel_launch L) {
  extern __shared__ uint4 ring[];  // kStages stages
  const int stage_chunks = L.group * L.channels / 8;
  for (int s = 0; s < kStages - 1; ++s) {
    const int item = blockIdx.x + s * gridDim.x;
    if (item < L.items) issue_item(L, item, ring + s * stage_chunks);
    cp_async_commit();
  }
  int slot = 0;
  for (int item = blockIdx.x; item < L.items; item += gridDim.x) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 2));
    __syncthreads();  // this item's stage is complete, and every thread is done with the previous one
    const int next = item + (kStages - 1) * gridDim.x;
    if (next < L.items) issue_item(L, next, ring + (slot + kStages - 1) % kStages * stage_chunks);
    cp_async_commit();
    const channel_item it = locate(L, item);
    const uint32_t* stage = reinterpret_cast<const uint32_t*>(ring + slot * stage_chunks);
    switch (L.task[it.task].bits) {
      case 1: code_item<1, BF>(L, it, stage); break;
      case 2: code_item<2, BF>(L, it, stage); break;
      case 4: code_item<4, BF>(L, it, stage); break;
      default: code_item<8, BF>(L, it, stage); break;
    }
    slot = (slot + 1) % kStages;
  }
}

bool asym_minmax_words(const pack_spec& sp) {
  const int B = sp.bits;
  return !sp.ternary && !sp.symmetric && !sp.sign_meanabs && !sp.kivi_fp16 && !sp.base3 &&
         (B == 1 || B == 2 || B == 4 || B == 8) && sp.group_size % (32 / B) == 0;
}
// 16-byte loads of 8 channels need 16-byte aligned rows.
bool rows_16b_aligned(const pack_task& t) {
  return reinterpret_cast<uintptr_t>(t.x) % 16 == 0 && t.channels % 8 == 0 && t.x_head_stride % 8 == 0;
}

// Token slices per channel pair: as many as keep a slice's tokens whole words at every width
// of the launch (max_c = 32 / narrowest width) and the block at <= 256 threads of full warps.
int slices_for(int group, int channels, int max_c) {
  for (int s : {4, 2, 1})
    if (group % (s * max_c) == 0 && channels / 2 * s <= 256 && channels / 2 * s % 32 == 0) return s;
  return 0;
}

int device_limit(cudaDeviceAttr attr) {
  return cached_query(static_cast<int>(attr), [attr](int dev) {
    int v = 0;
    WQ_CUDA_CHECK(cudaDeviceGetAttribute(&v, attr, dev));
    return v;
  });
}

size_t channel_ring_bytes(int group, int channels) { return static_cast<size_t>(kStages) * group * channels * 2; }

bool channel_kernel_takes(const pack_task& t) {
  if (!rows_16b_aligned(t) || slices_for(t.spec.group_size, t.channels, 32 / t.spec.bits) == 0) return false;
  const int64_t items = static_cast<int64_t>(t.heads) * packed_row_groups(t.spec, t.tokens, t.channels);
  return items < (int64_t{1} << 30) &&
         channel_ring_bytes(t.spec.group_size, t.channels) <= static_cast<size_t>(device_limit(cudaDevAttrMaxSharedMemoryPerBlockOptin));
}

bool row_kernel_takes(const pack_task& t) {
  const int G = t.spec.group_size, V = std::min(G, 32), lanes = G / V;
  const int64_t blocks = static_cast<int64_t>(t.heads) * ((static_cast<int64_t>(t.tokens) * t.channels / V + 255) / 256);
  return G % 8 == 0 && G % V == 0 && (lanes & (lanes - 1)) == 0 && V != 24 && rows_16b_aligned(t) &&
         blocks < (int64_t{1} << 30);
}

// One launch of the per-channel kernel over up to kMaxTasks tasks of one group size and channels.
void launch_channels(const std::vector<const pack_task*>& tasks, bool bf, cudaStream_t stream) {
  channel_launch L{};
  const pack_task& t0 = *tasks.front();
  L.channels = t0.channels;
  L.group = t0.spec.group_size;
  int narrowest = 8;
  int64_t items = 0;
  for (const pack_task* t : tasks) {
    channel_task& ct = L.task[L.count];
    ct = {static_cast<const uint16_t*>(t->x), t->x_head_stride, packed_row_words(t->spec, t->tokens, t->channels),
          t->tokens, t->spec.bits, static_cast<int>(packed_row_groups(t->spec, t->tokens, t->channels)),
          t->words, t->scales, t->mins};
    L.first_item[L.count++] = static_cast<int>(items);
    items += static_cast<int64_t>(t->heads) * ct.groups_per_head;
    narrowest = std::min(narrowest, t->spec.bits);
  }
  if (items >= (int64_t{1} << 31)) throw std::invalid_argument("quantize_pack_many: too many per-channel groups in one launch");
  L.items = static_cast<int>(items);
  L.slices = slices_for(L.group, L.channels, 32 / narrowest);
  L.slice_shift = L.slices == 4 ? 2 : L.slices == 2 ? 1 : 0;
  const int rows = L.group / L.slices;
  const bool pow2 = (rows & (rows - 1)) == 0;
  while (pow2 && (1 << L.row_shift) < rows) ++L.row_shift;
  L.swizzle = L.channels % 64 == 0 && pow2 ? 8 / L.slices : 0;
  const int threads = L.channels / 2 * L.slices;
  const size_t smem = channel_ring_bytes(L.group, L.channels);
  auto kernel = bf ? pack_channels_kernel<true> : pack_channels_kernel<false>;
  // The shared-memory opt-in and the occupancy query, once per device and configuration. The
  // opt-in is the device's maximum (channel_kernel_takes keeps every ring below it): a limit
  // set to one configuration's size would refuse a larger one launched later.
  const int per_sm = cached_query(std::make_tuple(bf, threads, smem), [&](int) {
    WQ_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                       device_limit(cudaDevAttrMaxSharedMemoryPerBlockOptin)));
    int n = 0;
    WQ_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, threads, smem));
    return std::max(1, n);
  });
  const int blocks = static_cast<int>(std::min<int64_t>(items, per_sm * device_limit(cudaDevAttrMultiProcessorCount)));
  kernel<<<blocks, threads, smem, stream>>>(L);
  WQ_CUDA_CHECK_LAUNCH();
}

// One launch of the per-token kernel over up to kMaxTasks tasks of one group size.
void launch_rows(const std::vector<const pack_task*>& tasks, bool bf, cudaStream_t stream) {
  row_launch L{};
  L.group = tasks.front()->spec.group_size;
  const int V = std::min(L.group, 32);
  int64_t blocks = 0;
  for (const pack_task* t : tasks) {
    const int64_t units = static_cast<int64_t>(t->tokens) * t->channels / V;
    const int per_head = static_cast<int>((units + 255) / 256);
    L.task[L.count] = {static_cast<const uint16_t*>(t->x), t->x_head_stride, units, t->spec.bits, per_head,
                       t->words, t->scales, t->mins};
    L.first_block[L.count++] = static_cast<int>(blocks);
    blocks += static_cast<int64_t>(t->heads) * per_head;
  }
  if (blocks >= (int64_t{1} << 31)) throw std::invalid_argument("quantize_pack_many: too many per-token blocks in one launch");
  const dim3 grid(static_cast<unsigned>(blocks));
  dispatch_unit(V, bf, [&](auto v, auto b) {
    pack_rows_kernel<decltype(v)::value, decltype(b)::value><<<grid, 256, 0, stream>>>(L);
  });
  WQ_CUDA_CHECK_LAUNCH();
}

}  // namespace

std::vector<const pack_task*> launch(const std::vector<const pack_task*>& tasks, input_dtype dt, cudaStream_t stream) {
  if (dt == input_dtype::f32) return tasks;
  std::vector<const pack_task*> declined;
  // Launch classes: (per channel, group size, channels), kMaxTasks tasks at most per launch.
  std::map<std::tuple<bool, int, int>, std::vector<const pack_task*>> classes;
  for (const pack_task* t : tasks) {
    const pack_spec& sp = t->spec;
    const bool fast = asym_minmax_words(sp) && (sp.per_channel ? channel_kernel_takes(*t) : row_kernel_takes(*t));
    if (fast) classes[{sp.per_channel, sp.group_size, sp.per_channel ? t->channels : 0}].push_back(t);
    else declined.push_back(t);
  }
  const bool bf = dt == input_dtype::bf16;
  for (const auto& [key, members] : classes)
    for (size_t i = 0; i < members.size(); i += kMaxTasks) {
      const std::vector<const pack_task*> part(members.begin() + i, members.begin() + std::min(members.size(), i + kMaxTasks));
      if (std::get<0>(key)) launch_channels(part, bf, stream);
      else launch_rows(part, bf, stream);
    }
  return declined;
}

}  // namespace wq::kernels::fast_pack
