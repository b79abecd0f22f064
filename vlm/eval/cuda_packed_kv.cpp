// Packed mode on the GPU (packed_kv.h): each layer's context K/V, already on the device, is
// gathered into the plan's stored order, packed by the GPU quantize+pack kernels
// (device_cache, bit-identical to core/quant) and read by the fused CUDA attention; the
// full-precision tokens are kept as compact fp16/bf16 copies and the gathered input is freed,
// so what stays allocated is exactly the packed cache. Kernels run on the legacy default
// stream, which is LibTorch's current stream unless a caller installs another one.
#include <torch/torch.h>

#include <stdexcept>

#include "core/cache/kernel_views.h"
#include "core/cache/key_channel_norm.h"
#include "core/cache/plan.h"
#include "core/cache/tail_rule.h"
#include "core/quant/transforms.h"
#include "vlm/eval/packed_kv.h"

#ifdef WQ_HAVE_CUDA_KERNELS
#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_cache.cuh"
#include "kernels/cpu/parallel_for.h"
#include "kernels/dispatch.h"
#endif
#if defined(WQ_HAVE_CUDA_KERNELS) && defined(WQ_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace wq::eval {

#ifdef WQ_HAVE_CUDA_KERNELS
namespace {

namespace k = wq::kernels;
using quant::QuantBits;

// The packed cache's buffers come from LibTorch's caching allocator, so the allocator's peak
// (peak_memory_bytes) counts them like every other tensor.
const k::device_allocator* packed_cache_allocator() {
#ifdef WQ_TORCH_CUDA
  static const k::device_allocator torch_allocator{
      [](size_t bytes) { return c10::cuda::CUDACachingAllocator::raw_alloc(bytes); },
      [](void* ptr) { c10::cuda::CUDACachingAllocator::raw_delete(ptr); }};
  return &torch_allocator;
#else
  return nullptr;  // a CPU-only LibTorch: no GPU run can reach this code
#endif
}

// The GPU packer's mirror of a core spec (the inverse of the GPU suite's to_core_spec).
k::pack_spec pack_spec_of(const quant::QuantSpec& s) {
  k::pack_spec p;
  p.ternary = s.bits == QuantBits::b1_58;
  p.bits = p.ternary ? 2 : quant::integer_bits(s.bits);
  p.base3 = p.ternary && s.ternary_storage == quant::TernaryStorage::base3;
  p.symmetric = s.symmetric;
  p.sign_meanabs = s.bits == QuantBits::b1 && s.one_bit_rule == quant::OneBitRule::sign_meanabs;
  p.kivi_fp16 = s.compute == quant::ComputeMode::fp16;
  p.per_channel = s.axis == quant::GroupAxis::tokens;
  p.group_size = s.group_size;
  p.ternary_gamma = s.ternary.gamma;
  p.ternary_scale_rule = static_cast<int>(s.ternary.scale_rule);
  return p;
}

// K or V of a plan piece as the GPU stores it; false (and why) when it cannot.
bool tensor_spec_of(const cache::TensorPlan& plan, cache::ChannelFrame& frame, k::tensor_spec& out, std::string& why) {
  why = cache::kernel_unreadable(plan.spec, !plan.parts.empty());
  if (!why.empty()) return false;
  if (plan.spec.bits == QuantBits::b16) return true;  // kept dense (the default kind), in the layer's frame
  why = frame.add(plan.spec.transform);
  if (!why.empty()) return false;
  out.storage = k::tensor_spec::kind::packed;
  out.pack = pack_spec_of(plan.spec);
  return true;
}

// The device cache's segments for one layer's stored ranges; false (and why) when a range has
// a layout the GPU kernels do not store.
bool segment_specs_of(const std::vector<cache::StoredRange>& ranges, cache::ChannelFrame& frame,
                      std::vector<k::segment_spec>& specs, std::string& why) {
  for (const cache::StoredRange& r : ranges) {
    k::segment_spec s;
    s.tokens = r.end - r.begin;
    if (r.piece) {
      if (!tensor_spec_of(r.piece->key, frame, s.key, why) || !tensor_spec_of(r.piece->value, frame, s.value, why))
        return false;
    } else if (r.interleaved) {
      why = frame.add(quant::Transform::none);
      if (!why.empty()) return false;
      s.key.storage = k::tensor_spec::kind::interleaved;
      for (QuantBits b : r.interleaved->bits) {
        if (b == QuantBits::b16) {
          why = "16-bit tokens inside a token-interleaved run";
          return false;
        }
        s.key.bits.push_back(static_cast<uint8_t>(quant::integer_bits(b)));
      }
      s.key.group_size = r.interleaved->group_size;
      s.value = s.key;
    }
    specs.push_back(std::move(s));
  }
  return true;
}

// Tokens the tail holds before its first growth: a query and a short answer.
constexpr int64_t kTailCapacity = 256;

// The orthonormal Walsh-Hadamard matrix of core/quant (its own inverse and symmetric), fp32 on
// the device of `like`: x·H rotates the rows of x into the frame of a Hadamard-quantized layer
// and back. Rotations run in fp32 (one GEMM each), so the packer quantizes the values the CPU
// quantizer sees (core/quant rotates fp32) rather than their 16-bit rounding, which moves codes
// across their boundaries.
at::Tensor hadamard_matrix(int64_t dim, const at::Tensor& like) {
  at::Tensor h = torch::eye(dim, at::kFloat).contiguous();
  for (int64_t r = 0; r < dim; ++r) quant::hadamard_inplace(h[r].data_ptr<float>(), static_cast<int>(dim));
  return h.to(like.device());
}

// x rotated by H along its last dimension, in fp32.
at::Tensor rotate(const at::Tensor& x, const at::Tensor& h) { return torch::matmul(x.to(at::kFloat), h); }

// G tail tokens the tail rule moved out of the full-precision tail: keys packed per channel,
// values dense (`values`, their compact copy) until they are packed per token too.
struct TailChunk {
  std::unique_ptr<k::device_cache> keys;
  at::Tensor values;
  std::unique_ptr<k::device_cache> packed_values;
  k::segment_view view;
};

// One layer as the attention reads it: a segment table on the device over packed buffers
// (owned by `packed`), compact dense tokens (owned by `dense`) and, last, the full-precision
// tail appended since (`tail_k`, `tail_v`: [kv_heads][capacity][D], `tail` tokens used).
struct DeviceLayer {
  std::unique_ptr<k::device_cache> packed;
  std::vector<at::Tensor> dense;
  std::vector<k::segment_view> table;
  at::Tensor table_dev;  // the table's bytes on the device (a tensor: one element is updated per step)
  int fast_formats = 0;
  double bytes = 0;
  at::Tensor tail_k, tail_v;
  int64_t tail = 0;
  at::Tensor rotation;  // defined for a layer stored in the Hadamard frame (ChannelFrame)
  at::Tensor key_scale;  // [kv_heads][1][D]: keys stored divided by it (key_channel_norm.h)
  // Under a tail rule (cache/tail_rule.h): the context's entries lead the table, then the
  // chunks the rule packed (oldest first), then the tail of the full-precision rest.
  size_t context_segments = 0;
  std::vector<TailChunk> chunks;
  int64_t appended = 0;  // tokens appended (packed chunks and the tail together)
};

// The ZipCache factors of each head (core/cache's rule, from the same bf16/fp16 values, so
// both sides divide by the same powers of two) over the quantized ranges' tokens of ks
// ([kv_heads][T][D], stored order), as [kv_heads][1][D] in ks's dtype.
at::Tensor key_channel_scale(const at::Tensor& ks, const std::vector<cache::StoredRange>& ranges) {
  at::Tensor max_abs = torch::zeros({ks.size(0), ks.size(2)}, ks.options().dtype(at::kFloat));
  for (const cache::StoredRange& r : ranges)
    if (r.piece || r.interleaved)
      max_abs = torch::maximum(max_abs, ks.slice(1, r.begin, r.end).abs().amax(1).to(at::kFloat));
  max_abs = max_abs.to(at::kCPU).contiguous();
  at::Tensor factors = torch::empty_like(max_abs);
  const int64_t dim = ks.size(2);
  for (int64_t h = 0; h < ks.size(0); ++h) {
    const float* m = max_abs[h].data_ptr<float>();
    const std::vector<float> f = cache::key_channel_factors(std::vector<float>(m, m + dim));
    std::copy(f.begin(), f.end(), factors[h].data_ptr<float>());
  }
  return factors.unsqueeze(1).to(ks.device(), ks.scalar_type());
}

k::tensor_view dense_rows(const at::Tensor& rows, bool bf16) {  // rows: [kv_heads][n][D] contiguous
  k::tensor_view tv;
  tv.format = k::tensor_format::dense16;
  tv.storage_bits = 16;
  tv.dense_bf16 = bf16;
  tv.words = static_cast<const uint32_t*>(rows.data_ptr());
  tv.head_stride_words = rows.size(1) * rows.size(2) / 2;
  return tv;
}

void upload_table(DeviceLayer& layer) {
  k::finalize_segment_table(layer.table.data(), 1, static_cast<int>(layer.table.size()));
  layer.fast_formats = k::classify_table(layer.table.data(), static_cast<int64_t>(layer.table.size()));
  const auto bytes = static_cast<int64_t>(layer.table.size() * sizeof(k::segment_view));
  const at::Tensor host = torch::from_blob(layer.table.data(), {bytes}, at::kByte);
  layer.table_dev = host.to(layer.tail_k.device());
}

// Points the table's last entry at the tail buffers (after they are allocated or grown).
void set_tail_view(DeviceLayer& layer, bool bf16) {
  k::segment_view& tail = layer.table.back();
  tail.tokens = static_cast<int32_t>(layer.tail);
  tail.key = dense_rows(layer.tail_k, bf16);
  tail.value = dense_rows(layer.tail_v, bf16);
}

// Adds the (empty) tail as the table's last segment and uploads the table.
void add_tail(DeviceLayer& layer, const at::Tensor& like) {
  const auto options = like.options();
  layer.tail_k = torch::empty({like.size(1), kTailCapacity, like.size(3)}, options);
  layer.tail_v = torch::empty_like(layer.tail_k);
  layer.context_segments = layer.table.size();
  layer.table.emplace_back();
  set_tail_view(layer, like.scalar_type() == at::kBFloat16);
  upload_table(layer);
}

// The packers' name for a tensor's dtype (fp32, or the model's bf16 / fp16).
k::input_dtype input_dtype_of(const at::Tensor& x) {
  return x.scalar_type() == at::kFloat      ? k::input_dtype::f32
         : x.scalar_type() == at::kBFloat16 ? k::input_dtype::bf16
                                            : k::input_dtype::f16;
}

// One segment of a tail chunk: ks, vs [kv_heads][G][D] contiguous 16-bit, one tensor packed
// and the other dense (its view points into the input, which the caller keeps).
std::unique_ptr<k::device_cache> pack_chunk(const at::Tensor& ks, const at::Tensor& vs, const k::tensor_spec& key,
                                            const k::tensor_spec& value) {
  k::segment_spec segment;
  segment.tokens = static_cast<int>(ks.size(1));
  segment.key = key;
  segment.value = value;
  return std::make_unique<k::device_cache>(ks.data_ptr(), vs.data_ptr(), input_dtype_of(ks), 1, static_cast<int>(ks.size(0)),
                                           segment.tokens, static_cast<int>(ks.size(2)),
                                           std::vector<k::segment_spec>{segment}, nullptr, packed_cache_allocator());
}

// Moves what the tail rule quantizes once `appended` tokens were appended to the layer: new
// chunks packed from the oldest tail rows (the tail buffer then compacted), older chunks'
// values packed, and the table rebuilt.
void apply_tail_rule(DeviceLayer& layer, const cache::TailRule& rule, int64_t appended) {
  const cache::TailSplit from = cache::tail_split(rule, static_cast<int>(layer.appended));
  const cache::TailSplit to = cache::tail_split(rule, static_cast<int>(appended));
  layer.appended = appended;
  if (from.keys == to.keys && from.values == to.values) return;
  const int G = cache::tail_chunk_tokens(rule);
  k::tensor_spec dense, packed_key, packed_value;
  packed_key.storage = packed_value.storage = k::tensor_spec::kind::packed;
  packed_key.pack = pack_spec_of(rule.key);
  packed_value.pack = pack_spec_of(rule.value);
  const int64_t moved = to.keys - from.keys;
  for (int64_t t = 0; t < moved; t += G) {
    TailChunk chunk;
    // Copies (clone), not views: the tail buffer is compacted below.
    const at::Tensor keys = layer.tail_k.slice(1, t, t + G).clone(at::MemoryFormat::Contiguous);
    chunk.values = layer.tail_v.slice(1, t, t + G).clone(at::MemoryFormat::Contiguous);
    chunk.keys = pack_chunk(keys, chunk.values, packed_key, dense);
    chunk.view = chunk.keys->table()[0];
    layer.chunks.push_back(std::move(chunk));
  }
  const int64_t rest = layer.tail - moved;
  if (moved > 0 && rest > 0)
    for (at::Tensor* buffer : {&layer.tail_k, &layer.tail_v})
      buffer->slice(1, 0, rest).copy_(buffer->slice(1, moved, moved + rest).clone());
  layer.tail = rest;
  for (int t = from.values; t < to.values; t += G) {
    TailChunk& chunk = layer.chunks[static_cast<size_t>(t / G)];
    // Only this cache's value view is read: its key view (dense, over the same input) is not.
    chunk.packed_values = pack_chunk(chunk.values, chunk.values, dense, packed_value);
    chunk.view.value = chunk.packed_values->table()[0].value;
    chunk.values = at::Tensor();  // stream-ordered release: the pack above reads it first
  }
  layer.table.resize(layer.context_segments);
  for (const TailChunk& chunk : layer.chunks) layer.table.push_back(chunk.view);
  layer.table.emplace_back();
  set_tail_view(layer, layer.tail_k.scalar_type() == at::kBFloat16);
  upload_table(layer);
}

// Packs the layer on the device. ks, vs: [kv_heads][T][D] in stored order, in the model's
// 16-bit dtype `dense_dtype` or in fp32 (rotated); dense tokens are kept in `dense_dtype`.
void build_fused(DeviceLayer& layer, const at::Tensor& ks, const at::Tensor& vs, const std::vector<k::segment_spec>& specs,
                 const std::vector<cache::StoredRange>& ranges, at::ScalarType dense_dtype) {
  const bool bf16 = dense_dtype == at::kBFloat16;
  const k::input_dtype input = input_dtype_of(ks);
  const int heads = static_cast<int>(ks.size(0)), tokens = static_cast<int>(ks.size(1)), dim = static_cast<int>(ks.size(2));
  layer.packed = std::make_unique<k::device_cache>(ks.data_ptr(), vs.data_ptr(), input, 1, heads, tokens, dim, specs,
                                                   nullptr, packed_cache_allocator());
  layer.table = layer.packed->table();
  // Dense views alias the gathered input: give them compact copies so the input can be freed.
  for (size_t s = 0; s < layer.table.size(); ++s)
    for (int which = 0; which < 2; ++which) {
      k::tensor_view& tv = which == 0 ? layer.table[s].key : layer.table[s].value;
      if (tv.format != k::tensor_format::dense16) continue;
      // clone, not contiguous(): a range spanning every token is already contiguous and would
      // stay a view of the model's context (the sweep's copy), not memory of this cache.
      const at::Tensor& source = which == 0 ? ks : vs;
      layer.dense.push_back(
          source.slice(1, ranges[s].begin, ranges[s].end).to(dense_dtype).clone(at::MemoryFormat::Contiguous));
      tv = dense_rows(layer.dense.back(), bf16);
    }
  layer.bytes = static_cast<double>(layer.packed->attention_bytes());
}

// A layer the kernels cannot read packed: core/cache packs it on the host and dequantizes it
// (stored order), [kv_heads][T][D] fp32 K and V on the host.
std::pair<at::Tensor, at::Tensor> dequantized_on_host(const cache::FullKv& host, int index, const cache::LayerPlan& plan) {
  const cache::LayerCache packed = cache::build_layer(host.k_head(index, 0), host.v_head(index, 0), host.kv_heads,
                                                      host.tokens, host.head_dim, plan, cache::CacheMode::packed);
  at::Tensor k = torch::empty({host.kv_heads, host.tokens, host.head_dim}, at::kFloat);
  at::Tensor v = torch::empty_like(k);
  std::vector<float> kh, vh;
  for (int h = 0; h < host.kv_heads; ++h) {
    cache::dequantize_head(packed.heads[static_cast<size_t>(h)], host.head_dim, kh, vh);
    std::copy(kh.begin(), kh.end(), k[h].data_ptr<float>());
    std::copy(vh.begin(), vh.end(), v[h].data_ptr<float>());
  }
  return {k, v};
}

// Keeps a dequantized layer on the device as one dense segment. like: the layer's context keys
// (device and dtype of the result).
void use_dequantized(DeviceLayer& layer, const std::pair<at::Tensor, at::Tensor>& kv, const at::Tensor& like) {
  layer.dense = {kv.first.to(like.device(), like.scalar_type()).contiguous(),
                 kv.second.to(like.device(), like.scalar_type()).contiguous()};
  k::segment_view seg;
  seg.tokens = static_cast<int32_t>(kv.first.size(1));
  const bool bf16 = like.scalar_type() == at::kBFloat16;
  seg.key = dense_rows(layer.dense[0], bf16);
  seg.value = dense_rows(layer.dense[1], bf16);
  layer.table = {seg};
  layer.bytes = 2.0 * layer.dense[0].nbytes();
}

bool reads_head_dim(int head_dim) {
  try {
    k::dispatch_head_dim(head_dim, [](auto) {});
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

class CudaPackedKv : public PackedKv {
 public:
  CudaPackedKv(const models::KVLayers& context, const cache::Plan& plan, const cache::FullKv& host)
      : tail_rule_(plan.tail) {
    if (!context.empty()) cache::validate(tail_rule_, static_cast<int>(context[0].keys.size(3)));
    // The rule's chunks are packed and read by the kernels (check_segment_supported's groups).
    if (tail_rule_.residual > 0 && (tail_rule_.key.group_size % 16 != 0 || tail_rule_.value.group_size % 16 != 0))
      throw std::invalid_argument("cache.mode packed on a GPU: the decode rule's groups (keys " +
                                  std::to_string(tail_rule_.key.group_size) + ", values " +
                                  std::to_string(tail_rule_.value.group_size) +
                                  ") must be multiples of 16 for the CUDA kernels (use cache.mode simulate)");
    if (!context.empty() && !reads_head_dim(static_cast<int>(context[0].keys.size(3))))
      throw std::invalid_argument("cache.mode packed on a GPU: the CUDA kernels read head_dim 64 and 128, this model's is " +
                                  std::to_string(context[0].keys.size(3)) + " (use cache.mode simulate)");
    std::vector<int32_t> uploaded_order;
    at::Tensor order;  // uploaded_order on the device
    std::vector<size_t> dequantized;  // layers the kernels cannot read packed
    at::Tensor rotation;              // H, shared by every rotated layer
    for (size_t l = 0; l < context.size(); ++l) {
      const at::Tensor& keys = context[l].keys;
      TORCH_CHECK(keys.is_cuda() && (keys.scalar_type() == at::kBFloat16 || keys.scalar_type() == at::kHalf),
                  "cuda packed cache: context K/V must be bf16 or fp16 on the GPU, got ", keys.options());
      const int tokens = static_cast<int>(keys.size(2));
      kv_heads_ = static_cast<int>(keys.size(1));
      layers_.emplace_back();
      DeviceLayer& layer = layers_.back();
      if (tokens == 0) {
        add_tail(layer, keys);
        continue;
      }
      const cache::LayerPlan& lp = plan.for_layer(static_cast<int>(l));
      const std::vector<cache::StoredRange> ranges = cache::stored_ranges(lp, tokens);
      std::vector<k::segment_spec> specs;
      std::string why;
      cache::ChannelFrame frame;
      if (segment_specs_of(ranges, frame, specs, why)) {
        // The rule packs tail rows as appended; in another frame simulate mode would not match.
        if (tail_rule_.residual > 0 && (frame.rotated() || lp.key_channel_norm))
          throw std::invalid_argument("cuda packed cache: a tail rule with a rotated or channel-normalised layer");
        try {
          at::Tensor ks = keys[0], vs = context[l].values[0];
          if (!lp.order.empty()) {
            if (lp.order != uploaded_order) {  // layers often share one order: upload it once
              uploaded_order = lp.order;
              order = torch::tensor(std::vector<int64_t>(lp.order.begin(), lp.order.end()), at::kLong).to(keys.device());
            }
            ks = ks.index_select(1, order);
            vs = vs.index_select(1, order);
          }
          if (frame.rotated()) {  // packed (and full-precision tokens kept) in the rotated frame
            if (!rotation.defined()) rotation = hadamard_matrix(keys.size(3), keys);
            layer.rotation = rotation;
            ks = rotate(ks, layer.rotation);
            vs = rotate(vs, layer.rotation);
          }
          if (lp.key_channel_norm) {  // every stored key of the layer in the normalised frame
            layer.key_scale = key_channel_scale(ks, ranges);
            ks = ks / layer.key_scale;  // exact: powers of two
          }
          build_fused(layer, ks.contiguous(), vs.contiguous(), specs, ranges, keys.scalar_type());
          if (layer.key_scale.defined()) layer.bytes += static_cast<double>(layer.key_scale.nbytes());
        } catch (const std::invalid_argument& e) {  // check_segment_supported: a layout the kernels refuse
          why = e.what();
          layer = DeviceLayer{};
        }
      }
      if (!layer.packed) {  // dequantized below, on the host, all such layers at once
        if (reason_.empty()) reason_ = "layer " + std::to_string(l) + ": the GPU kernels cannot read " + why;
        dequantized.push_back(l);
        continue;
      }
      bytes_ += layer.bytes;
      add_tail(layer, keys);
    }
    std::vector<std::pair<at::Tensor, at::Tensor>> host_kv(dequantized.size());
    kernels::cpu::parallel_for(dequantized.size(), [&](size_t i) {  // layers are independent: all cores
      const int l = static_cast<int>(dequantized[i]);
      host_kv[i] = dequantized_on_host(host, l, plan.for_layer(l));
    });
    for (size_t i = 0; i < dequantized.size(); ++i) {
      DeviceLayer& layer = layers_[dequantized[i]];
      use_dequantized(layer, host_kv[i], context[dequantized[i]].keys);
      bytes_ += layer.bytes;
      add_tail(layer, context[dequantized[i]].keys);
    }
  }

  std::pair<at::Tensor, at::Tensor> attend(std::int64_t index, const at::Tensor& q) const override {
    const DeviceLayer& layer = layers_.at(static_cast<size_t>(index));
    const auto heads = q.size(1), tokens = q.size(2), dim = q.size(3);
    const k::segment_view& last = layer.table.back();  // the tail
    const int max_tiles = last.tile_begin + (last.tokens + k::kTileTokens - 1) / k::kTileTokens;
    if (max_tiles == 0)
      return {torch::zeros_like(q),
              torch::full({1, heads, tokens}, -std::numeric_limits<float>::infinity(), q.options().dtype(at::kFloat))};
    // The kernels' [batch][q_tokens][q_heads][D], in the layer's frame.
    at::Tensor framed = layer.rotation.defined() ? rotate(q, layer.rotation).to(q.scalar_type()) : q;
    if (layer.key_scale.defined())  // q·k = (q∘f)·(k/f), f of the query's KV head; exact
      framed = (q.reshape({1, kv_heads_, heads / kv_heads_, tokens, dim}) *
                layer.key_scale.view({1, kv_heads_, 1, 1, dim}))
                   .reshape(q.sizes());
    const at::Tensor qt = framed.transpose(1, 2).contiguous();
    at::Tensor out = torch::empty_like(qt);
    at::Tensor lse = torch::empty({1, tokens, heads}, q.options().dtype(at::kFloat));
    k::attention_shape shape;
    shape.q_heads = static_cast<int>(heads);
    shape.kv_heads = kv_heads_;
    shape.head_dim = static_cast<int>(dim);
    shape.q_tokens = static_cast<int>(tokens);
    shape.num_segments = static_cast<int>(layer.table.size());
    shape.max_tiles = max_tiles;
    shape.bf16 = q.scalar_type() == at::kBFloat16;
    shape.fast_formats = layer.fast_formats;
    const size_t workspace_bytes = k::attention_workspace_bytes(shape);
    at::Tensor workspace =
        torch::empty({static_cast<int64_t>(std::max<size_t>(workspace_bytes, 1))}, q.options().dtype(at::kByte));
    const auto* table = static_cast<const k::segment_view*>(layer.table_dev.data_ptr());
    k::attention_over_segments(shape, qt.data_ptr(), table, out.data_ptr(), lse.data_ptr<float>(), workspace.data_ptr(),
                               workspace_bytes, nullptr);
    if (layer.rotation.defined()) out = rotate(out, layer.rotation).to(q.scalar_type());  // back out of the frame
    return {out.transpose(1, 2), lse.transpose(1, 2)};
  }
  void append(std::int64_t index, const at::Tensor& k, const at::Tensor& v) override {
    DeviceLayer& layer = layers_.at(static_cast<size_t>(index));
    const int64_t n = k.size(2), capacity = layer.tail_k.size(1);
    const bool bf16 = layer.tail_k.scalar_type() == at::kBFloat16;
    if (layer.tail + n > capacity) {  // grow (rare): new buffers, and the table points at them
      const int64_t grown = std::max(2 * capacity, (layer.tail + n + 63) / 64 * 64);
      for (at::Tensor* buffer : {&layer.tail_k, &layer.tail_v}) {
        at::Tensor bigger = torch::empty({buffer->size(0), grown, buffer->size(2)}, buffer->options());
        bigger.slice(1, 0, layer.tail).copy_(buffer->slice(1, 0, layer.tail));
        *buffer = bigger;
      }
      set_tail_view(layer, bf16);
      upload_table(layer);
    }
    const bool rotated = layer.rotation.defined();
    const at::Tensor keys = layer.key_scale.defined() ? k[0] / layer.key_scale : k[0];  // the stored frame
    layer.tail_k.slice(1, layer.tail, layer.tail + n).copy_(rotated ? rotate(keys, layer.rotation) : keys);
    layer.tail_v.slice(1, layer.tail, layer.tail + n).copy_(rotated ? rotate(v[0], layer.rotation) : v[0]);
    layer.tail += n;
    // Only the tail's token count changes: one int32 on the device, written by a
    // stream-ordered fill, no host round trip.
    static_assert(offsetof(k::segment_view, tokens) == 0, "segment_view.tokens must lead the struct");
    layer.table.back().tokens = static_cast<int32_t>(layer.tail);
    const int64_t entry = static_cast<int64_t>((layer.table.size() - 1) * sizeof(k::segment_view) / sizeof(int32_t));
    layer.table_dev.view(at::kInt)[entry].fill_(layer.tail);
    apply_tail_rule(layer, tail_rule_, layer.appended + n);
  }
  std::string attention_path() const override { return reason_.empty() ? "fused" : "dequantized"; }
  std::string dequantized_reason() const override { return reason_; }
  double allocated_bytes() const override { return bytes_; }

 private:
  cache::TailRule tail_rule_;
  std::vector<DeviceLayer> layers_;
  int kv_heads_ = 0;
  std::string reason_;
  double bytes_ = 0;
};

}  // namespace

bool cuda_packed_kv_available() { return true; }

bool cuda_packed_kv_reads(int head_dim) { return reads_head_dim(head_dim); }

std::unique_ptr<PackedKv> cuda_packed_kv(const models::KVLayers& context, const cache::Plan& plan,
                                         const cache::FullKv& host_context) {
  return std::make_unique<CudaPackedKv>(context, plan, host_context);
}

#else

bool cuda_packed_kv_available() { return false; }

bool cuda_packed_kv_reads(int) { return false; }

std::unique_ptr<PackedKv> cuda_packed_kv(const models::KVLayers&, const cache::Plan&, const cache::FullKv&) {
  throw std::invalid_argument(
      "cache.mode packed on a GPU needs the CUDA kernels: this build has none (configure with nvcc, WQ_CUDA=ON)");
}

#endif

}  // namespace wq::eval
