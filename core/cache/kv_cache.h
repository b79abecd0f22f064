// The compressed KV cache: per layer, per KV head, a list of segments in stored order plus a
// full-precision tail (query/decode tokens appended after compression), and the original
// position of every stored token (reordering never loses the mapping).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/cache/plan.h"
#include "core/cache/segment.h"

namespace wq::cache {

// Full-precision cache after the context prefill (post-RoPE keys).
// k, v: [layers][kv_heads][tokens][head_dim] fp32 row-major.
struct FullKv {
  int layers = 0;
  int kv_heads = 0;
  int tokens = 0;
  int head_dim = 0;
  std::vector<float> k;
  std::vector<float> v;

  FullKv() = default;
  FullKv(int layers, int kv_heads, int tokens, int head_dim);
  // Pointer to [tokens][head_dim] of one layer and head.
  const float* k_head(int layer, int head) const;
  const float* v_head(int layer, int head) const;
  float* k_head(int layer, int head);
  float* v_head(int layer, int head);
};

struct HeadCache {
  std::vector<Segment> segments;        // contiguous, cover stored slots [0, T) in order
  std::vector<int32_t> positions;       // [T] original token index of stored slot i
  std::vector<float> tail_k;            // [tail][D] fp32 (accounted as fp16)
  std::vector<float> tail_v;            // [tail][D] fp32
  std::vector<int32_t> tail_positions;  // [tail]
  // Packed mode under LayerPlan::key_channel_norm: the context's stored keys (quantized and
  // full-precision) are k / key_scale per channel [D]; dequantize_head undoes it. Empty
  // otherwise (simulate mode stores the keys back in their own frame).
  std::vector<float> key_scale;

  int context_tokens() const { return static_cast<int>(positions.size()); }
  int tail_tokens() const { return static_cast<int>(tail_positions.size()); }
};

struct LayerCache {
  int head_dim = 0;
  CacheMode mode = CacheMode::simulate;
  double side_bits_per_head = 0;  // from LayerPlan, charged to the visual part
  bool key_channel_norm = false;  // from LayerPlan: 16 bits per channel per head of factors
  double key_scale_bits_per_head() const { return key_channel_norm ? 16.0 * head_dim : 0.0; }
  std::vector<HeadCache> heads;   // [kv_heads]
  int kv_heads() const { return static_cast<int>(heads.size()); }
};

struct KvCache {
  CacheMode mode = CacheMode::simulate;
  std::vector<LayerCache> layers;
};

// k, v: [tokens][head_dim] fp32 of one layer and KV head. Validates the plan, reorders by
// plan.order, builds one segment per piece and one full-precision segment per maximal
// uncovered run.
HeadCache build_head(const float* k, const float* v, int tokens, int head_dim,
                     const LayerPlan& plan, CacheMode mode);
// k, v: [kv_heads][tokens][head_dim] fp32 of one layer.
LayerCache build_layer(const float* k, const float* v, int kv_heads, int tokens, int head_dim,
                       const LayerPlan& plan, CacheMode mode);
KvCache build_cache(const FullKv& kv, const Plan& plan, CacheMode mode);

// Appends n full-precision tokens to a head's tail. k, v: [n][head_dim] fp32; their original
// positions are first_position, first_position + 1, ...
void append_tail(HeadCache& head, const float* k, const float* v, int n, int head_dim,
                 int first_position);
// k, v: [kv_heads][n][head_dim] fp32.
void append_tail(LayerCache& layer, const float* k, const float* v, int n, int first_position);

// Dequantized K and V of one head in STORED order, context then tail:
// k, v: [context + tail][head_dim] fp32 (resized by the call).
void dequantize_head(const HeadCache& head, int head_dim, std::vector<float>& k,
                     std::vector<float>& v);

// Simulate-mode helper for model code on CPU: applies the plan to one head and returns the
// dequantized K and V in the ORIGINAL token order, each [tokens][head_dim] fp32.
std::pair<std::vector<float>, std::vector<float>> simulate_head(const float* k, const float* v,
                                                                int tokens, int head_dim,
                                                                const LayerPlan& plan);
// Whole cache in simulate mode, original order: returns a FullKv of the same shape.
FullKv simulate_cache(const FullKv& kv, const Plan& plan);
// The context part of a built cache dequantized back to ORIGINAL order (the tail is left
// out): what a model reads in place of its full-precision cache (simulate or packed mode).
FullKv dequantize_context(const KvCache& cache);

}  // namespace wq::cache
