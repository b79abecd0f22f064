// Dequantize-then-attend reference (double softmax with max subtraction).
#include "kernels/cpu/reference_attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "kernels/cpu/view_dequant.h"

namespace wq::kernels::cpu {

void dequantize_sequence(const segment_view* segments, int num_segments, int head_dim, int kv_head,
                         std::vector<float>& k, std::vector<float>& v) {
  int64_t total = 0;
  for (int s = 0; s < num_segments; ++s) total += segments[s].tokens;
  k.assign(total * head_dim, 0.0f);
  v.assign(total * head_dim, 0.0f);
  int64_t at = 0;
  for (int s = 0; s < num_segments; ++s) {
    const segment_view& seg = segments[s];
    if (seg.tokens == 0) continue;
    dequantize_tensor(seg.key, seg.tokens, head_dim, kv_head, k.data() + at * head_dim);
    dequantize_tensor(seg.value, seg.tokens, head_dim, kv_head, v.data() + at * head_dim);
    at += seg.tokens;
  }
}

void reference_attention(const attention_shape& shape, const float* q, const segment_view* table,
                         float* out, float* lse) {
  if (shape.q_heads % shape.kv_heads != 0)
    throw std::invalid_argument("reference_attention: q_heads must be a multiple of kv_heads");
  const int D = shape.head_dim, group = shape.q_heads / shape.kv_heads;
  const double scale = shape.scale > 0.f ? shape.scale : 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<float> k, v;
  std::vector<double> logits, acc(D);
  for (int b = 0; b < shape.batch; ++b) {
    for (int kvh = 0; kvh < shape.kv_heads; ++kvh) {
      dequantize_sequence(table + static_cast<int64_t>(b) * shape.num_segments, shape.num_segments, D, kvh, k, v);
      const int64_t T = static_cast<int64_t>(k.size()) / D;
      logits.resize(T);
      for (int qt = 0; qt < shape.q_tokens; ++qt) {
        for (int hg = 0; hg < group; ++hg) {
          const int h = kvh * group + hg;
          const int64_t qoff = ((static_cast<int64_t>(b) * shape.q_tokens + qt) * shape.q_heads + h) * D;
          double mx = -INFINITY;
          for (int64_t t = 0; t < T; ++t) {
            double dot = 0.0;
            for (int d = 0; d < D; ++d) dot += static_cast<double>(q[qoff + d]) * k[t * D + d];
            logits[t] = dot * scale;
            mx = std::max(mx, logits[t]);
          }
          double den = 0.0;
          std::fill(acc.begin(), acc.end(), 0.0);
          for (int64_t t = 0; t < T; ++t) {
            const double p = std::exp(logits[t] - mx);
            den += p;
            for (int d = 0; d < D; ++d) acc[d] += p * v[t * D + d];
          }
          for (int d = 0; d < D; ++d) out[qoff + d] = den > 0 ? static_cast<float>(acc[d] / den) : 0.0f;
          if (lse) lse[qoff / D] = den > 0 ? static_cast<float>(mx + std::log(den)) : -INFINITY;
        }
      }
    }
  }
}

}  // namespace wq::kernels::cpu
