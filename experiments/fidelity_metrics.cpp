#include "experiments/fidelity_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/cache/reference_attention.h"

namespace wq {
namespace {

double mean(const std::vector<double>& values) {
  return values.empty() ? 0.0 : std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

// Dequantized K, V of a head in ORIGINAL token order (context only), [T][D].
void original_order(const cache::HeadCache& head, int head_dim, std::vector<float>& k, std::vector<float>& v) {
  std::vector<float> stored_k, stored_v;
  cache::dequantize_head(head, head_dim, stored_k, stored_v);
  const size_t tokens = head.positions.size();
  k.assign(tokens * head_dim, 0.f);
  v.assign(tokens * head_dim, 0.f);
  for (size_t slot = 0; slot < tokens; ++slot) {
    const size_t original = size_t(head.positions[slot]);
    std::copy_n(&stored_k[slot * head_dim], head_dim, &k[original * head_dim]);
    std::copy_n(&stored_v[slot * head_dim], head_dim, &v[original * head_dim]);
  }
}

double masked_rel_err(const float* reference, const float* approx, int tokens, int dim,
                      const std::vector<uint8_t>& mask) {
  double diff = 0, norm = 0;
  for (int t = 0; t < tokens; ++t) {
    if (!mask[t]) continue;
    for (int d = 0; d < dim; ++d) {
      const double r = reference[size_t(t) * dim + d];
      const double a = approx[size_t(t) * dim + d];
      diff += (a - r) * (a - r);
      norm += r * r;
    }
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

}  // namespace

std::vector<uint8_t> relevant_token_mask(const SyntheticKv& synthetic) {
  std::vector<uint8_t> mask(size_t(synthetic.kv.tokens), 0);
  const auto& ctx = synthetic.context;
  for (size_t i = 0; i < ctx.visual_positions.size(); ++i)
    for (int frame : synthetic.relevant_frames)
      if (ctx.frame_index[i] == frame) mask[size_t(ctx.visual_positions[i])] = 1;
  return mask;
}

HeadFidelity head_fidelity(const SyntheticKv& synthetic, const cache::LayerCache& layer_cache, int layer,
                           int head, const std::vector<uint8_t>& relevant) {
  const auto& kv = synthetic.kv;
  const auto& ctx = synthetic.context;
  const int D = kv.head_dim, T = kv.tokens, Q = ctx.num_query();
  const int group = ctx.probe_heads / kv.kv_heads;
  std::vector<float> k_hat, v_hat;
  original_order(layer_cache.heads[size_t(head)], D, k_hat, v_hat);

  HeadFidelity f;
  const auto visual = ctx.visual_mask();
  f.k_rel_err = masked_rel_err(kv.k_head(layer, head), k_hat.data(), T, D, visual);
  f.v_rel_err = masked_rel_err(kv.v_head(layer, head), v_hat.data(), T, D, visual);

  const float* queries = &ctx.probe_queries[size_t(layer)][size_t(head) * group * Q * D];
  cache::AttentionOptions options;
  options.causal_tail = false;
  options.return_probs = true;
  const auto exact = cache::dense_attention(queries, group, Q, kv.k_head(layer, head), kv.v_head(layer, head), 1,
                                            T, 0, D, options);
  const auto approx = cache::dense_attention(queries, group, Q, k_hat.data(), v_hat.data(), 1, T, 0, D, options);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < exact.out.size(); ++i) {
    diff += double(approx.out[i] - exact.out[i]) * (approx.out[i] - exact.out[i]);
    norm += double(exact.out[i]) * exact.out[i];
  }
  f.attn_out_rel_err = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);

  const int rows = group * Q;
  for (int row = 0; row < rows; ++row) {
    const float* p = &exact.probs[size_t(row) * T];
    const float* p_hat = &approx.probs[size_t(row) * T];
    double kl = 0, mass = 0, mass_hat = 0;
    for (int t = 0; t < T; ++t) {
      if (p[t] > 0) kl += double(p[t]) * std::log(double(p[t]) / std::max(double(p_hat[t]), 1e-30));
      if (relevant[size_t(t)]) {
        mass += p[t];
        mass_hat += p_hat[t];
      }
    }
    f.attn_kl += kl / rows;
    f.relevant_mass_fp += mass / rows;
    f.relevant_mass_quant += mass_hat / rows;
  }
  return f;
}

void FidelityTotals::add_cache(const cache::KvBits& kv_bits, const cache::CacheBytes& bytes) {
  bits += kv_bits.counts;
  stored_bytes += bytes.stored;
  fp16_bytes += bytes.fp16;
}

void FidelityTotals::write_metrics(std::map<std::string, double>& metrics) const {
  auto head_mean = [&](double HeadFidelity::*field) {
    double sum = 0;
    for (const auto& head : heads) sum += head.*field;
    return heads.empty() ? 0.0 : sum / double(heads.size());
  };
  metrics["k_rel_err"] = head_mean(&HeadFidelity::k_rel_err);
  metrics["v_rel_err"] = head_mean(&HeadFidelity::v_rel_err);
  metrics["attn_out_rel_err"] = head_mean(&HeadFidelity::attn_out_rel_err);
  metrics["attn_kl"] = head_mean(&HeadFidelity::attn_kl);
  metrics["relevant_mass_fp"] = head_mean(&HeadFidelity::relevant_mass_fp);
  metrics["relevant_mass_quant"] = head_mean(&HeadFidelity::relevant_mass_quant);
  cache::KvBits total;
  total.counts = bits;
  metrics["bits_nominal"] = total.nominal();
  metrics["bits_effective"] = total.effective();
  metrics["kv_bytes"] = stored_bytes;
  metrics["fp16_kv_bytes"] = fp16_bytes;
  metrics["compression_ratio"] = stored_bytes > 0 ? fp16_bytes / stored_bytes : 0.0;
  metrics["t_search_ms_mean"] = mean(search_ms);
  metrics["t_quant_ms_mean"] = mean(quant_ms);
}

}  // namespace wq
