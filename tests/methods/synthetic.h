// A synthetic video-LLM cache whose query-relevant frames are known: 14 system text tokens,
// then `frames` frames of `tokens_per_frame` visual tokens (the context ends at the last visual
// token, as protocol.md cuts it). Keys have a few outlier channels; the keys of the relevant
// frames share a direction that the probe queries point along, and their visual embeddings
// share a direction with the query embeddings, so every similarity function can find them.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "core/method/context_description.h"
#include "core/cache/kv_cache.h"
#include "core/cache/reference_attention.h"

namespace wq::methods::testing {

struct Synthetic {
  cache::FullKv kv;
  ContextDescription ctx;
  std::vector<int> relevant_frames;
};

inline Synthetic make_synthetic(unsigned seed = 7, int layers = 2, int kv_heads = 2, int head_dim = 64,
                                int frames = 16, int tokens_per_frame = 16, std::vector<int> relevant = {3, 11}) {
  const int system = 14, queries = 6, hidden = 32, probe_heads = 2 * kv_heads;
  const int tokens = system + frames * tokens_per_frame;
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Synthetic s;
  s.relevant_frames = relevant;
  s.kv = cache::FullKv(layers, kv_heads, tokens, head_dim);
  auto is_relevant = [&](int t) {
    if (t < system) return false;
    const int f = (t - system) / tokens_per_frame;
    for (int r : relevant) if (r == f) return true;
    return false;
  };
  std::vector<float> direction(static_cast<size_t>(head_dim));
  for (auto& x : direction) x = normal(rng) / std::sqrt(static_cast<float>(head_dim));
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < kv_heads; ++h) {
      float* k = s.kv.k_head(l, h);
      float* v = s.kv.v_head(l, h);
      for (int t = 0; t < tokens; ++t)
        for (int c = 0; c < head_dim; ++c) {
          const float outlier = (c % 16 == 3) ? 12.0f : 1.0f;  // fixed outlier channels, as in real keys
          k[t * head_dim + c] = outlier * normal(rng) + (is_relevant(t) ? 2.0f * std::sqrt(static_cast<float>(head_dim)) * direction[static_cast<size_t>(c)] : 0.0f);
          v[t * head_dim + c] = normal(rng);
        }
    }
  ContextDescription& ctx = s.ctx;
  ctx.context_tokens = tokens;
  for (int t = system; t < tokens; ++t) {
    ctx.visual_positions.push_back(t);
    ctx.frame_index.push_back((t - system) / tokens_per_frame);
    ctx.spatial_index.push_back((t - system) % tokens_per_frame);
  }
  ctx.hidden = hidden;
  std::vector<float> topic(static_cast<size_t>(hidden));
  for (auto& x : topic) x = normal(rng);
  for (int t = system; t < tokens; ++t)
    for (int c = 0; c < hidden; ++c)
      ctx.visual_embeddings.push_back(normal(rng) + (is_relevant(t) ? 1.5f * topic[static_cast<size_t>(c)] : 0.0f));
  for (int q = 0; q < queries; ++q) {
    ctx.query_token_ids.push_back(1000 + q);
    for (int c = 0; c < hidden; ++c) ctx.query_embeddings.push_back(0.5f * normal(rng) + topic[static_cast<size_t>(c)]);
  }
  ctx.probe_heads = probe_heads;
  for (int l = 0; l < layers; ++l) {
    std::vector<float> probe;
    for (int h = 0; h < probe_heads; ++h)
      for (int q = 0; q < queries; ++q)
        for (int c = 0; c < head_dim; ++c)
          probe.push_back(0.3f * normal(rng) + 1.0f * std::sqrt(static_cast<float>(head_dim)) * direction[static_cast<size_t>(c)]);
    ctx.probe_queries.push_back(std::move(probe));
  }
  return s;
}

// Relative L2 error of the probe queries' attention output over a compressed cache against
// the full-precision cache, pooled over layers and heads.
inline double attention_error(const Synthetic& s, const cache::KvCache& compressed) {
  double err = 0, ref = 0;
  cache::AttentionOptions options;
  options.causal_tail = false;
  const size_t stride = static_cast<size_t>(s.kv.kv_heads) * s.kv.tokens * s.kv.head_dim;
  for (int l = 0; l < s.kv.layers; ++l) {
    const float* q = s.ctx.probe_queries[static_cast<size_t>(l)].data();
    const int nq = s.ctx.num_query();
    const auto exact = cache::dense_attention(q, s.ctx.probe_heads, nq, s.kv.k.data() + l * stride,
                                              s.kv.v.data() + l * stride, s.kv.kv_heads, s.kv.tokens, 0, s.kv.head_dim, options);
    const auto approx = cache::reference_attention(q, s.ctx.probe_heads, nq, compressed.layers[static_cast<size_t>(l)], options);
    for (size_t i = 0; i < exact.out.size(); ++i) {
      err += (exact.out[i] - approx.out[i]) * (exact.out[i] - approx.out[i]);
      ref += exact.out[i] * exact.out[i];
    }
  }
  return std::sqrt(err / ref);
}

}  // namespace wq::methods::testing
