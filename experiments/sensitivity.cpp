// sensitivity: does a window's similarity score predict how much quantizing it hurts?
// WindowQuant's load-bearing premise, tested directly: for every window, push ONLY that
// window to `low_bits` (everything else full precision), measure the attention-output
// damage, and rank-correlate damage with the window's similarity score and with the
// ground-truth relevance of its frames (synthetic caches know which frames the question is
// about). The correlations are findings, not targets.
#include <cmath>

#include "core/quant/quant_format.h"
#include "core/windowquant/similarity.h"
#include "core/windowquant/windows.h"
#include "experiments/experiment.h"
#include "experiments/fidelity_metrics.h"
#include "experiments/rank_correlation.h"
#include "experiments/synthetic_kv_params.h"

namespace wq {
namespace {

struct WindowDamage {
  double score = 0, damage = 0;
  bool relevant = false;
};

// Mean attention-output error over layers and heads with only `window` quantized.
double window_damage(const SyntheticKv& synthetic, const windowquant::Window& window, const cache::TensorPlan& key,
                     const cache::TensorPlan& value, const std::vector<uint8_t>& relevant) {
  cache::LayerPlan layer;
  // Window tokens are consecutive original positions, so one piece in identity order.
  layer.pieces.push_back({window.positions.front(), window.positions.back() + 1, key, value});
  cache::Plan plan;
  plan.layers.push_back(layer);
  const cache::KvCache compressed = cache::build_cache(synthetic.kv, plan, cache::CacheMode::simulate);
  double damage = 0;
  for (int l = 0; l < synthetic.kv.layers; ++l)
    for (int h = 0; h < synthetic.kv.kv_heads; ++h)
      damage += head_fidelity(synthetic, compressed.layers[l], l, h, relevant).attn_out_rel_err;
  return damage / double(synthetic.kv.layers * synthetic.kv.kv_heads);
}

// One score per window: the similarity row, averaged over layers when it is per layer.
std::vector<double> mean_scores(const std::vector<std::vector<double>>& rows) {
  std::vector<double> mean(rows.front().size(), 0.0);
  for (const auto& row : rows)
    for (size_t w = 0; w < row.size(); ++w) mean[w] += row[w] / double(rows.size());
  return mean;
}

class Sensitivity : public Experiment {
 public:
  explicit Sensitivity(const Params& params)
      : synthetic_(synthetic_kv_options(params)),
        samples_(int(params.get_int("samples"))),
        window_size_(int(params.get_int("window_size"))),
        unit_(params.get_string("window_unit") == "tokens" ? windowquant::WindowUnit::tokens
                                                           : windowquant::WindowUnit::frames),
        similarity_(windowquant::parse_similarity(params.get_string("similarity"))) {
    const auto bits = quant::quant_bits_from_int(int(params.get_int("low_bits")));
    key_.spec = quant::uniform_spec(bits, int(params.get_int("key_group_size")), quant::GroupAxis::tokens);
    value_.spec = quant::uniform_spec(bits, int(params.get_int("value_group_size")), quant::GroupAxis::channels);
    if (synthetic_.head_dim % params.get_int("value_group_size") != 0)
      params.fail("value_group_size", "must divide head_dim (" + std::to_string(synthetic_.head_dim) + ")");
  }

  void run(RunContext& ctx) override {
    const int64_t seed = ctx.config["seed"] ? ctx.config["seed"].as<int64_t>() : 0;
    SampleTable& rows = ctx.record.samples;
    for (const char* name : {"sample", "window", "first_frame", "relevant"}) rows.add_int_column(name);
    for (const char* name : {"similarity", "damage"}) rows.add_float_column(name);
    std::vector<double> per_sample_score_rho, per_sample_truth_rho, relevant_damage, other_damage;
    double top_hits = 0, top_total = 0;
    for (int sample = 0; sample < samples_; ++sample) {
      SyntheticKvOptions options = synthetic_;
      options.seed = uint64_t(seed) * 1000003u + uint64_t(sample);
      const SyntheticKv synthetic = make_synthetic_kv(options);
      const auto relevant = relevant_token_mask(synthetic);
      const auto windows = windowquant::make_windows(synthetic.context, synthetic.context.num_visual(), unit_, window_size_);
      const auto scores = mean_scores(windowquant::window_scores(similarity_, synthetic.kv, synthetic.context, windows));
      std::vector<double> damages, truth;
      for (size_t w = 0; w < windows.size(); ++w) {
        const double damage = window_damage(synthetic, windows[w], key_, value_, relevant);
        bool is_relevant = false;
        for (int position : windows[w].positions) is_relevant |= relevant[size_t(position)] != 0;
        damages.push_back(damage);
        truth.push_back(is_relevant ? 1.0 : 0.0);
        (is_relevant ? relevant_damage : other_damage).push_back(damage);
        const int first_frame = synthetic.context.frame_index[size_t(windows[w].visual_index.front())];
        rows.add_row({{"sample", int64_t(sample)}, {"window", int64_t(w)}, {"first_frame", int64_t(first_frame)},
                      {"relevant", int64_t(is_relevant)}, {"similarity", scores[w]}, {"damage", damage}});
        ctx.progress.update(size_t(sample) * windows.size() + w + 1, size_t(samples_) * windows.size(), "windows");
      }
      per_sample_score_rho.push_back(spearman(scores, damages));
      per_sample_truth_rho.push_back(spearman(truth, damages));
      // Do the top-scored windows hold the evidence? (as many as there are relevant windows)
      std::vector<size_t> order(windows.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
      const size_t relevant_count = size_t(std::count(truth.begin(), truth.end(), 1.0));
      for (size_t k = 0; k < relevant_count; ++k) top_hits += truth[order[k]];
      top_total += double(relevant_count);
    }
    auto mean = [](const std::vector<double>& v) {
      double sum = 0;
      size_t n = 0;
      for (double x : v)
        if (std::isfinite(x)) sum += x, ++n;
      return n ? sum / double(n) : NAN;
    };
    auto& m = ctx.record.metrics;
    m["spearman_similarity_damage"] = mean(per_sample_score_rho);
    m["spearman_relevance_damage"] = mean(per_sample_truth_rho);
    m["damage_relevant_mean"] = mean(relevant_damage);
    m["damage_other_mean"] = mean(other_damage);
    m["evidence_recall_at_k"] = top_total > 0 ? top_hits / top_total : NAN;
  }

 private:
  SyntheticKvOptions synthetic_;
  int samples_, window_size_;
  windowquant::WindowUnit unit_;
  windowquant::Similarity similarity_;
  cache::TensorPlan key_, value_;
};

std::vector<ParamSpec> sensitivity_params() {
  std::vector<ParamSpec> params = synthetic_kv_param_specs();
  auto add = [&](ParamSpec spec) { params.push_back(std::move(spec)); };
  add({"samples", ParamType::Int, "2", "synthetic caches (seeds seed*1000003+i)", 1, 10000, {}, false});
  add({"window_unit", ParamType::String, "frames", "windows of window_size frames or tokens", {}, {},
       {"frames", "tokens"}, false});
  add({"window_size", ParamType::Int, "1", "frames or tokens per window", 1, 1 << 20, {}, false});
  add({"similarity", ParamType::String, "embedding_cosine", "similarity function scored against damage", {}, {},
       {"embedding_cosine", "key_query", "attention_mass"}, false});
  add({"low_bits", ParamType::Int, "1", "width the probed window is pushed to", 1, 8, {}, false});
  add({"key_group_size", ParamType::Int, "32", "tokens per key group (keys per-channel)", 1, 1 << 20, {}, false});
  add({"value_group_size", ParamType::Int, "32", "channels per value group (values per-token)", 1, 1 << 20, {},
       false});
  return params;
}

const Registration<Experiment> registration{{
    "sensitivity",
    "per-window quantization damage against the window's similarity score and the true evidence frames",
    sensitivity_params(),
    [](const Params& params) { return std::make_unique<Sensitivity>(params); },
}};

}  // namespace
}  // namespace wq
