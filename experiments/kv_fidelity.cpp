// kv_fidelity: how much each KV method perturbs the cache and the attention that reads it,
// on synthetic caches with real-cache structure (experiments/synthetic_kv.h) whose
// query-relevant frames are known. One row per (sample, layer, KV head); run metrics are
// the means, plus nominal/effective bits, bytes and search/quantize times.
#include <cmath>
#include <stdexcept>

#include "core/cache/kv_bits.h"
#include "core/cache/reference_attention.h"
#include "core/method/compress.h"
#include "core/method/kv_method.h"
#include "experiments/experiment.h"
#include "experiments/fidelity_metrics.h"
#include "experiments/synthetic_kv_params.h"

namespace wq {
namespace {

class KvFidelity : public Experiment {
 public:
  explicit KvFidelity(const Params& params)
      : synthetic_(synthetic_kv_options(params)),
        samples_(int(params.get_int("samples"))),
        mode_(params.get_string("cache_mode") == "packed" ? cache::CacheMode::packed
                                                          : cache::CacheMode::simulate) {}

  void run(RunContext& ctx) override {
    // Synthetic caches are built and compressed on the host whatever the config's `device` says.
    ctx.record.metric_notes["ran_on"] = "cpu";
    const Params method_params = ctx.section("method");
    auto method = methods::make_method(method_params);
    const int64_t seed = ctx.config["seed"] ? ctx.config["seed"].as<int64_t>() : 0;

    SampleTable& rows = ctx.record.samples;
    for (const char* name : {"sample", "layer", "head"}) rows.add_int_column(name);
    for (const char* name : {"k_rel_err", "v_rel_err", "attn_out_rel_err", "attn_kl", "relevant_mass_fp",
                             "relevant_mass_quant", "bits_effective"})
      rows.add_float_column(name);

    FidelityTotals totals;
    for (int sample = 0; sample < samples_; ++sample) {
      const SyntheticKv synthetic = make_synthetic_kv(sample_options(seed, sample));

      const methods::CompressedKv result = methods::compress_timed(*method, synthetic.kv, synthetic.context, mode_);
      const cache::KvCache& compressed = result.cache;
      totals.search_ms.push_back(result.t_search_ms);
      totals.quant_ms.push_back(result.t_quant_ms);

      const auto visual = synthetic.context.visual_mask();
      totals.add_cache(cache::kv_bits(compressed, visual), cache::cache_bytes(compressed));
      const auto relevant = relevant_token_mask(synthetic);
      for (int layer = 0; layer < synthetic.kv.layers; ++layer) {
        const auto layer_bits = cache::kv_bits(compressed.layers[layer], visual);
        for (int head = 0; head < synthetic.kv.kv_heads; ++head) {
          const HeadFidelity f = head_fidelity(synthetic, compressed.layers[layer], layer, head, relevant);
          totals.add_head(f);
          rows.add_row({{"sample", int64_t(sample)}, {"layer", int64_t(layer)}, {"head", int64_t(head)},
                        {"k_rel_err", f.k_rel_err}, {"v_rel_err", f.v_rel_err},
                        {"attn_out_rel_err", f.attn_out_rel_err}, {"attn_kl", f.attn_kl},
                        {"relevant_mass_fp", f.relevant_mass_fp}, {"relevant_mass_quant", f.relevant_mass_quant},
                        {"bits_effective", layer_bits.effective()}});
        }
        ctx.progress.update(size_t(sample) * synthetic.kv.layers + layer + 1,
                            size_t(samples_) * synthetic.kv.layers, "layers");
      }
    }
    totals.write_metrics(ctx.record.metrics);
  }

  // The first sample's cache has every sample's shape, so the method's budget floor on it is
  // the run's.
  std::string foresee(const YAML::Node& config, const SourceMap* sources) const override {
    auto method = methods::make_method(Params(config["method"], "method", sources));
    const SyntheticKv synthetic = make_synthetic_kv(sample_options(config["seed"] ? config["seed"].as<int64_t>() : 0, 0));
    try {
      method->plan(synthetic.kv, synthetic.context);
    } catch (const methods::BudgetInfeasible& infeasible) {
      return infeasible.what();
    }
    return "";
  }

 private:
  // Sample i of a run with base seed `seed`: seed * 1000003 + i.
  SyntheticKvOptions sample_options(int64_t seed, int sample) const {
    SyntheticKvOptions options = synthetic_;
    options.seed = uint64_t(seed) * 1000003u + uint64_t(sample);
    return options;
  }

  SyntheticKvOptions synthetic_;
  int samples_;
  cache::CacheMode mode_;
};

std::vector<ParamSpec> kv_fidelity_params() {
  std::vector<ParamSpec> params = synthetic_kv_param_specs();
  params.push_back({"samples", ParamType::Int, "2", "synthetic caches per run (seeds seed*1000003+i)", 1, 10000, {}, false});
  params.push_back({"cache_mode", ParamType::String, "packed",
                    "simulate: quantize-dequantize in fp32; packed: real packed storage", {}, {},
                    {"simulate", "packed"}});
  return params;
}

const Registration<Experiment> registration{{
    "kv_fidelity",
    "reconstruction, attention-output and attention-KL error of a method on synthetic KV caches",
    kv_fidelity_params(),
    [](const Params& params) { return std::make_unique<KvFidelity>(params); },
}};

}  // namespace
}  // namespace wq
