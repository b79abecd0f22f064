// Construction of the compressed cache from a full-precision one and a plan.
#include "core/cache/kv_cache.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "core/cache/key_channel_norm.h"
#include "core/cache/tail_rule.h"

namespace wq::cache {

FullKv::FullKv(int layers_, int kv_heads_, int tokens_, int head_dim_)
    : layers(layers_), kv_heads(kv_heads_), tokens(tokens_), head_dim(head_dim_) {
  const size_t n = static_cast<size_t>(layers) * kv_heads * tokens * head_dim;
  k.assign(n, 0.0f);
  v.assign(n, 0.0f);
}

namespace {
size_t head_offset(const FullKv& kv, int layer, int head) {
  if (layer < 0 || layer >= kv.layers || head < 0 || head >= kv.kv_heads) {
    throw std::out_of_range("FullKv: layer " + std::to_string(layer) + ", head " +
                            std::to_string(head) + " out of range");
  }
  return (static_cast<size_t>(layer) * kv.kv_heads + head) * kv.tokens * kv.head_dim;
}
}  // namespace

const float* FullKv::k_head(int l, int h) const { return k.data() + head_offset(*this, l, h); }
const float* FullKv::v_head(int l, int h) const { return v.data() + head_offset(*this, l, h); }
float* FullKv::k_head(int l, int h) { return k.data() + head_offset(*this, l, h); }
float* FullKv::v_head(int l, int h) { return v.data() + head_offset(*this, l, h); }

HeadCache build_head(const float* k, const float* v, int tokens, int head_dim,
                     const LayerPlan& plan, CacheMode mode) {
  validate(plan, tokens, head_dim);
  const size_t d = static_cast<size_t>(head_dim);
  HeadCache head;
  head.positions.resize(tokens);
  for (int i = 0; i < tokens; ++i) head.positions[i] = plan.order.empty() ? i : plan.order[i];
  // Gather K and V into the stored order (positions move with them); layout mode reads no
  // values.
  const bool values = mode != CacheMode::layout;
  std::vector<float> ks(values ? tokens * d : 0), vs(ks.size());
  for (int i = 0; values && i < tokens; ++i) {
    std::copy(k + head.positions[i] * d, k + (head.positions[i] + 1) * d, ks.begin() + i * d);
    std::copy(v + head.positions[i] * d, v + (head.positions[i] + 1) * d, vs.begin() + i * d);
  }
  const std::vector<StoredRange> ranges = stored_ranges(plan, tokens);
  std::vector<float> key_scale;
  if (plan.key_channel_norm && values) {
    key_scale = key_channel_factors(quantized_channel_abs_max(ks.data(), head_dim, ranges));
    scale_channels(ks.data(), tokens, key_scale, /*divide=*/true);
  }
  for (const StoredRange& r : ranges) {
    Segment s;
    s.begin = r.begin;
    s.end = r.end;
    const int n = r.end - r.begin;
    const float* kr = values ? ks.data() + r.begin * d : nullptr;
    const float* vr = values ? vs.data() + r.begin * d : nullptr;
    if (r.piece) {
      s.kind = SegmentKind::quantized;
      s.key = make_quantized_tensor(kr, n, head_dim, r.piece->key, mode);
      s.value = make_quantized_tensor(vr, n, head_dim, r.piece->value, mode);
    } else if (r.interleaved) {
      s.kind = SegmentKind::interleaved;
      s.key = make_interleaved_tensor(kr, n, head_dim, r.interleaved->bits, r.interleaved->group_size, mode);
      s.value = make_interleaved_tensor(vr, n, head_dim, r.interleaved->bits, r.interleaved->group_size, mode);
    } else {
      s.kind = SegmentKind::full_precision;
      s.key = make_full_precision_tensor(kr, n, head_dim);
      s.value = make_full_precision_tensor(vr, n, head_dim);
    }
    // Simulate mode keeps dequantized values: back in the keys' own frame (exact, powers of two).
    if (!key_scale.empty() && mode == CacheMode::simulate) scale_channels(s.key.values.data(), n, key_scale, false);
    head.segments.push_back(std::move(s));
  }
  if (mode == CacheMode::packed) head.key_scale = std::move(key_scale);
  return head;
}

LayerCache build_layer(const float* k, const float* v, int kv_heads, int tokens, int head_dim,
                       const LayerPlan& plan, CacheMode mode) {
  LayerCache layer;
  layer.head_dim = head_dim;
  layer.mode = mode;
  layer.side_bits_per_head = plan.side_bits_per_head;
  layer.key_channel_norm = plan.key_channel_norm;
  const size_t stride = static_cast<size_t>(tokens) * head_dim;
  for (int h = 0; h < kv_heads; ++h) {
    layer.heads.push_back(build_head(k + h * stride, v + h * stride, tokens, head_dim, plan, mode));
  }
  return layer;
}

KvCache build_cache(const FullKv& kv, const Plan& plan, CacheMode mode) {
  validate(plan.tail, kv.head_dim);
  KvCache cache;
  cache.mode = mode;
  for (int l = 0; l < kv.layers; ++l) {
    cache.layers.push_back(build_layer(kv.k_head(l, 0), kv.v_head(l, 0), kv.kv_heads, kv.tokens,
                                       kv.head_dim, plan.for_layer(l), mode));
  }
  return cache;
}

void append_tail(HeadCache& head, const float* k, const float* v, int n, int head_dim,
                 int first_position) {
  const size_t count = static_cast<size_t>(n) * head_dim;
  head.tail_k.insert(head.tail_k.end(), k, k + count);
  head.tail_v.insert(head.tail_v.end(), v, v + count);
  for (int i = 0; i < n; ++i) head.tail_positions.push_back(first_position + i);
}

void append_tail(LayerCache& layer, const float* k, const float* v, int n, int first_position) {
  const size_t stride = static_cast<size_t>(n) * layer.head_dim;
  for (int h = 0; h < layer.kv_heads(); ++h) {
    append_tail(layer.heads[h], k + h * stride, v + h * stride, n, layer.head_dim, first_position);
  }
}

void dequantize_head(const HeadCache& head, int head_dim, std::vector<float>& k,
                     std::vector<float>& v) {
  const size_t d = static_cast<size_t>(head_dim);
  const size_t context = static_cast<size_t>(head.context_tokens());
  k.assign((context + head.tail_tokens()) * d, 0.0f);
  v.assign(k.size(), 0.0f);
  for (const Segment& s : head.segments) {
    read_tensor(s, s.key, head_dim, k.data() + s.begin * d);
    read_tensor(s, s.value, head_dim, v.data() + s.begin * d);
  }
  if (!head.key_scale.empty()) scale_channels(k.data(), head.context_tokens(), head.key_scale, false);
  std::copy(head.tail_k.begin(), head.tail_k.end(), k.begin() + context * d);
  std::copy(head.tail_v.begin(), head.tail_v.end(), v.begin() + context * d);
}

namespace {
// Dequantized context of one head written back in ORIGINAL token order (tail dropped).
void dequantize_original_order(const HeadCache& head, int head_dim, float* k_out, float* v_out) {
  std::vector<float> ks, vs;
  dequantize_head(head, head_dim, ks, vs);
  const size_t d = static_cast<size_t>(head_dim);
  for (int i = 0; i < head.context_tokens(); ++i) {
    std::copy(ks.begin() + i * d, ks.begin() + (i + 1) * d, k_out + head.positions[i] * d);
    std::copy(vs.begin() + i * d, vs.begin() + (i + 1) * d, v_out + head.positions[i] * d);
  }
}
}  // namespace

std::pair<std::vector<float>, std::vector<float>> simulate_head(const float* k, const float* v,
                                                                int tokens, int head_dim,
                                                                const LayerPlan& plan) {
  const HeadCache head = build_head(k, v, tokens, head_dim, plan, CacheMode::simulate);
  std::vector<float> ko(static_cast<size_t>(tokens) * head_dim), vo(ko.size());
  dequantize_original_order(head, head_dim, ko.data(), vo.data());
  return {std::move(ko), std::move(vo)};
}

FullKv dequantize_context(const KvCache& cache) {
  if (cache.layers.empty() || cache.layers[0].heads.empty()) return FullKv();
  const LayerCache& first = cache.layers[0];
  FullKv out(static_cast<int>(cache.layers.size()), first.kv_heads(),
             first.heads[0].context_tokens(), first.head_dim);
  for (int l = 0; l < out.layers; ++l)
    for (int h = 0; h < out.kv_heads; ++h)
      dequantize_original_order(cache.layers[l].heads[h], out.head_dim, out.k_head(l, h),
                                out.v_head(l, h));
  return out;
}

FullKv simulate_cache(const FullKv& kv, const Plan& plan) {
  FullKv out(kv.layers, kv.kv_heads, kv.tokens, kv.head_dim);
  for (int l = 0; l < kv.layers; ++l) {
    for (int h = 0; h < kv.kv_heads; ++h) {
      auto [k, v] = simulate_head(kv.k_head(l, h), kv.v_head(l, h), kv.tokens, kv.head_dim,
                                  plan.for_layer(l));
      std::copy(k.begin(), k.end(), out.k_head(l, h));
      std::copy(v.begin(), v.end(), out.v_head(l, h));
    }
  }
  return out;
}

}  // namespace wq::cache
