// Reference attention over a compressed layer: dequantize, then exact softmax attention with
// GQA. Every fast kernel is checked against this.
#pragma once

#include <vector>

#include "core/cache/kv_cache.h"

namespace wq::cache {

struct AttentionOptions {
  // Query i of Q attends to every context token and to tail tokens j <= tail - Q + i (the
  // queries are the last Q tail tokens). false: every tail token is visible.
  bool causal_tail = true;
  bool return_probs = false;
  float scale = 0.0f;  // 0 -> 1/sqrt(head_dim)
};

struct AttentionOutput {
  std::vector<float> out;    // [q_heads][queries][head_dim] fp32
  std::vector<float> probs;  // [q_heads][queries][context + tail] (stored order), if asked
  int keys = 0;              // context + tail
};

// queries: [q_heads][queries][head_dim] fp32, post-RoPE. q_heads must be a multiple of the
// layer's KV heads (query head h reads KV head h / (q_heads / kv_heads)). Softmax in double
// with max subtraction. Throws std::invalid_argument on shape errors or when causal_tail is
// set and the tail is shorter than the queries.
AttentionOutput reference_attention(const float* queries, int q_heads, int queries_count,
                                    const LayerCache& layer, const AttentionOptions& options = {});

// Same over explicit full-precision K, V: [kv_heads][keys][head_dim]; the last `tail` keys
// are the causal tail. The building block of the above, exposed for tests and kernels.
AttentionOutput dense_attention(const float* queries, int q_heads, int queries_count,
                                const float* k, const float* v, int kv_heads, int keys, int tail,
                                int head_dim, const AttentionOptions& options = {});

}  // namespace wq::cache
