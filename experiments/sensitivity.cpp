// sensitivity: does a window's similarity score predict how much quantizing it hurts?
// WindowQuant's load-bearing premise, tested directly: for every window, push ONLY that
// window to `low_bits` (everything else full precision), measure the damage, and
// rank-correlate damage with the window's similarity score and with the ground-truth
// relevance of its frames. The correlations are findings, not targets.
//  source: synthetic_kv  attention-output error on synthetic caches (this file)
//  source: model         a model on a dataset through the protocol (sensitivity_model.cpp)
#include "core/method/compress.h"
#include "core/quant/quant_format.h"
#include "experiments/experiment.h"
#include "experiments/fidelity_metrics.h"
#include "experiments/sensitivity_probe.h"
#include "experiments/sensitivity_summary.h"
#include "experiments/synthetic_kv_params.h"

namespace wq {

SensitivityProbe sensitivity_probe(const Params& params) {
  SensitivityProbe probe;
  probe.unit = params.get_string("window_unit") == "tokens" ? windowquant::WindowUnit::tokens
                                                             : windowquant::WindowUnit::frames;
  probe.window_size = int(params.get_int("window_size"));
  probe.similarity = windowquant::parse_similarity(params.get_string("similarity"));
  const auto bits = quant::quant_bits_from_int(int(params.get_int("low_bits")));
  probe.key.spec = quant::uniform_spec(bits, int(params.get_int("key_group_size")), quant::GroupAxis::tokens);
  probe.value.spec = quant::uniform_spec(bits, int(params.get_int("value_group_size")), quant::GroupAxis::channels);
  return probe;
}

namespace {

// Mean attention-output error over layers and heads with only the probe's selected window
// quantized.
double window_damage(const SyntheticKv& synthetic, WindowProbe& probe, const std::vector<uint8_t>& relevant) {
  const cache::KvCache compressed =
      methods::compress(probe, synthetic.kv, synthetic.context, cache::CacheMode::simulate);
  double damage = 0;
  for (int l = 0; l < synthetic.kv.layers; ++l)
    for (int h = 0; h < synthetic.kv.kv_heads; ++h)
      damage += head_fidelity(synthetic, compressed.layers[l], l, h, relevant).attn_out_rel_err;
  return damage / double(synthetic.kv.layers * synthetic.kv.kv_heads);
}

class SyntheticSensitivity : public Experiment {
 public:
  explicit SyntheticSensitivity(const Params& params)
      : synthetic_(synthetic_kv_options(params)), samples_(int(params.get_int("samples"))),
        probe_(sensitivity_probe(params)) {
    if (synthetic_.head_dim % params.get_int("value_group_size") != 0)
      params.fail("value_group_size", "must divide head_dim (" + std::to_string(synthetic_.head_dim) + ")");
  }

  void run(RunContext& ctx) override {
    // Synthetic caches are built and compressed on the host whatever the config's `device` says.
    ctx.record.metric_notes["ran_on"] = "cpu";
    const int64_t seed = ctx.config["seed"] ? ctx.config["seed"].as<int64_t>() : 0;
    SampleTable& rows = ctx.record.samples;
    for (const char* name : {"sample", "window", "first_frame", "relevant"}) rows.add_int_column(name);
    for (const char* name : {"similarity", "damage"}) rows.add_float_column(name);
    SensitivitySummary summary;
    for (int sample = 0; sample < samples_; ++sample) {
      SyntheticKvOptions options = synthetic_;
      options.seed = uint64_t(seed) * 1000003u + uint64_t(sample);
      const SyntheticKv synthetic = make_synthetic_kv(options);
      const auto relevant = relevant_token_mask(synthetic);
      WindowProbe probe(probe_.unit, probe_.window_size, probe_.similarity, probe_.key, probe_.value);
      probe.plan(synthetic.kv, synthetic.context);  // windows and their scores
      const std::vector<double> scores = probe.scores();
      const std::vector<std::vector<int>> windows = probe.window_positions();
      const std::vector<std::vector<int>> frames = probe.window_frames();
      std::vector<double> damages, truth;
      for (size_t w = 0; w < windows.size(); ++w) {
        probe.select(int(w));
        const double damage = window_damage(synthetic, probe, relevant);
        bool is_relevant = false;
        for (int position : windows[w]) is_relevant |= relevant[size_t(position)] != 0;
        damages.push_back(damage);
        truth.push_back(is_relevant ? 1.0 : 0.0);
        const int first_frame = frames[w].front();
        rows.add_row({{"sample", int64_t(sample)}, {"window", int64_t(w)}, {"first_frame", int64_t(first_frame)},
                      {"relevant", int64_t(is_relevant)}, {"similarity", scores[w]}, {"damage", damage}});
        ctx.progress.update(size_t(sample) * windows.size() + w + 1, size_t(samples_) * windows.size(), "windows");
      }
      summary.add_sample(scores, damages, truth);
    }
    summary.write(ctx.record.metrics);
    ctx.record.metric_notes["damage"] = "attention-output relative error (synthetic caches)";
  }

 private:
  SyntheticKvOptions synthetic_;
  int samples_;
  SensitivityProbe probe_;
};

std::vector<ParamSpec> sensitivity_params() {
  std::vector<ParamSpec> params = synthetic_kv_param_specs();
  auto add = [&](ParamSpec spec) { params.push_back(std::move(spec)); };
  add({"source", ParamType::String, "synthetic_kv",
       "synthetic_kv: attention error on synthetic caches; model: the model: section on the dataset: section "
       "through the protocol (damage = KL of the answer token's distribution)",
       {}, {}, {"synthetic_kv", "model"}, false});
  add({"samples", ParamType::Int, "2", "synthetic caches (seeds seed*1000003+i); source model: the dataset's samples",
       1, 10000, {}, false});
  add({"window_unit", ParamType::String, "frames", "windows of window_size frames or tokens", {}, {},
       {"frames", "tokens"}, false});
  add({"window_size", ParamType::Int, "1", "frames or tokens per window", 1, 1 << 20, {}, false});
  add({"similarity", ParamType::String, "embedding_cosine", "similarity function scored against damage", {}, {},
       {"embedding_cosine", "key_query", "attention_mass"}, false});
  add({"low_bits", ParamType::Int, "1", "width the probed window is pushed to", 1, 8, {}, false});
  add({"key_group_size", ParamType::Int, "32", "tokens per key group (keys per-channel)", 1, 1 << 20, {}, false});
  add({"value_group_size", ParamType::Int, "32", "channels per value group (values per-token)", 1, 1 << 20, {},
       false});
  add({"context_cache_mb", ParamType::Float, "2048",
       "source model: prepared samples kept (a sample is prepared once for all its windows)", 0, {}, {}, false});
  return params;
}

const Registration<Experiment> registration{{
    "sensitivity",
    "per-window quantization damage against the window's similarity score and the true evidence frames",
    sensitivity_params(),
    [](const Params& params) -> std::unique_ptr<Experiment> {
      if (params.get_string("source") == "model") return make_model_sensitivity(params);
      return std::make_unique<SyntheticSensitivity>(params);
    },
}};

}  // namespace
}  // namespace wq
