// Reference attention: dequantize everything, then exact softmax attention (double softmax).
#include "core/cache/reference_attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace wq::cache {

AttentionOutput dense_attention(const float* queries, int q_heads, int queries_count,
                                const float* k, const float* v, int kv_heads, int keys, int tail,
                                int head_dim, const AttentionOptions& options) {
  if (kv_heads < 1 || q_heads < 1 || q_heads % kv_heads != 0) {
    throw std::invalid_argument("attention: q_heads " + std::to_string(q_heads) +
                                " is not a positive multiple of kv_heads " + std::to_string(kv_heads));
  }
  if (tail < 0 || tail > keys) throw std::invalid_argument("attention: tail outside [0, keys]");
  if (options.causal_tail && tail < queries_count) {
    throw std::invalid_argument("attention: causal_tail needs the " + std::to_string(queries_count) +
                                " queries in the tail, which holds only " + std::to_string(tail));
  }
  const size_t d = static_cast<size_t>(head_dim);
  const int group = q_heads / kv_heads;
  const double scale = options.scale > 0.0f ? options.scale : 1.0 / std::sqrt(static_cast<double>(head_dim));
  const int context = keys - tail;
  AttentionOutput out;
  out.keys = keys;
  out.out.assign(static_cast<size_t>(q_heads) * queries_count * d, 0.0f);
  if (options.return_probs) out.probs.assign(static_cast<size_t>(q_heads) * queries_count * keys, 0.0f);
  std::vector<double> logits(keys), acc(d);
  for (int h = 0; h < q_heads; ++h) {
    const int kvh = h / group;  // GQA: consecutive query heads share a KV head
    const float* kh = k + static_cast<size_t>(kvh) * keys * d;
    const float* vh = v + static_cast<size_t>(kvh) * keys * d;
    for (int i = 0; i < queries_count; ++i) {
      const float* q = queries + (static_cast<size_t>(h) * queries_count + i) * d;
      const int visible = options.causal_tail ? context + (tail - queries_count + i) + 1 : keys;
      double max_logit = -INFINITY;
      for (int j = 0; j < visible; ++j) {
        double dot = 0.0;
        for (size_t c = 0; c < d; ++c) dot += static_cast<double>(q[c]) * kh[j * d + c];
        logits[j] = dot * scale;
        max_logit = std::max(max_logit, logits[j]);
      }
      double denom = 0.0;
      for (int j = 0; j < visible; ++j) denom += (logits[j] = std::exp(logits[j] - max_logit));
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int j = 0; j < visible; ++j) {
        const double p = logits[j] / denom;
        for (size_t c = 0; c < d; ++c) acc[c] += p * vh[j * d + c];
        if (options.return_probs) out.probs[(static_cast<size_t>(h) * queries_count + i) * keys + j] = static_cast<float>(p);
      }
      float* o = out.out.data() + (static_cast<size_t>(h) * queries_count + i) * d;
      for (size_t c = 0; c < d; ++c) o[c] = static_cast<float>(acc[c]);
    }
  }
  return out;
}

AttentionOutput reference_attention(const float* queries, int q_heads, int queries_count,
                                    const LayerCache& layer, const AttentionOptions& options) {
  const int kv_heads = layer.kv_heads();
  if (kv_heads < 1) throw std::invalid_argument("attention: layer has no KV heads");
  const int keys = layer.heads[0].context_tokens() + layer.heads[0].tail_tokens();
  const int tail = layer.heads[0].tail_tokens();
  const size_t per_head = static_cast<size_t>(keys) * layer.head_dim;
  std::vector<float> k(kv_heads * per_head), v(kv_heads * per_head), kh, vh;
  for (int h = 0; h < kv_heads; ++h) {
    const HeadCache& head = layer.heads[h];
    if (head.context_tokens() + head.tail_tokens() != keys || head.tail_tokens() != tail) {
      throw std::invalid_argument("attention: KV heads of one layer hold different token counts");
    }
    dequantize_head(head, layer.head_dim, kh, vh);
    std::copy(kh.begin(), kh.end(), k.begin() + h * per_head);
    std::copy(vh.begin(), vh.end(), v.begin() + h * per_head);
  }
  return dense_attention(queries, q_heads, queries_count, k.data(), v.data(), kv_heads, keys, tail,
                         layer.head_dim, options);
}

}  // namespace wq::cache
