// search_cost: time a method needs to decide its bit-widths (KvMethod::plan) as the number
// of visual tokens grows, on synthetic caches. A sweep over methods compares token-level
// search (token_mixed) with window-level search (windowquant).
#include <algorithm>
#include <chrono>

#include "core/method/kv_method.h"
#include "experiments/experiment.h"
#include "experiments/synthetic_kv_params.h"

namespace wq {
namespace {

class SearchCost : public Experiment {
 public:
  explicit SearchCost(const Params& params)
      : synthetic_(synthetic_kv_options(params)),
        visual_tokens_(params.get_int_list("visual_tokens")),
        repeats_(int(params.get_int("repeats"))) {
    for (long long tokens : visual_tokens_)
      if (tokens % synthetic_.tokens_per_frame != 0)
        params.fail("visual_tokens", "every entry must be a multiple of tokens_per_frame (" +
                                         std::to_string(synthetic_.tokens_per_frame) + ")");
  }

  void run(RunContext& ctx) override {
    // Synthetic caches are built and compressed on the host whatever the config's `device` says.
    ctx.record.metric_notes["ran_on"] = "cpu";
    const Params method_params = ctx.section("method");
    auto method = methods::make_method(method_params);
    const int64_t seed = ctx.config["seed"] ? ctx.config["seed"].as<int64_t>() : 0;
    SampleTable& rows = ctx.record.samples;
    rows.add_int_column("visual_tokens");
    rows.add_int_column("repeats");
    rows.add_float_column("t_search_ms_median");
    rows.add_float_column("t_search_ms_min");
    rows.add_float_column("t_search_us_per_token");

    for (size_t i = 0; i < visual_tokens_.size(); ++i) {
      SyntheticKvOptions options = synthetic_;
      options.frames = int(visual_tokens_[i] / synthetic_.tokens_per_frame);
      options.relevant_frames = std::min(options.relevant_frames, options.frames);
      options.seed = uint64_t(seed);
      const SyntheticKv synthetic = make_synthetic_kv(options);
      std::vector<double> times;
      for (int r = 0; r < repeats_; ++r) {
        const auto start = std::chrono::steady_clock::now();
        const cache::Plan plan = method->plan(synthetic.kv, synthetic.context);
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (plan.layers.empty()) throw std::runtime_error("method returned an empty plan");
      }
      std::sort(times.begin(), times.end());
      const double median = times[times.size() / 2];
      rows.add_row({{"visual_tokens", int64_t(visual_tokens_[i])}, {"repeats", int64_t(repeats_)},
                    {"t_search_ms_median", median}, {"t_search_ms_min", times.front()},
                    {"t_search_us_per_token", 1000.0 * median / double(visual_tokens_[i])}});
      ctx.record.metrics["t_search_ms/" + std::to_string(visual_tokens_[i])] = median;
      ctx.progress.update(i + 1, visual_tokens_.size(), "sizes");
    }
  }

 private:
  SyntheticKvOptions synthetic_;
  std::vector<long long> visual_tokens_;
  int repeats_;
};

std::vector<ParamSpec> search_cost_params() {
  std::vector<ParamSpec> params = synthetic_kv_param_specs();
  params.push_back({"visual_tokens", ParamType::IntList, "[1024, 4096, 16384, 65536]",
                    "visual-token counts to time (multiples of tokens_per_frame)", 1, 1 << 22, {}, false});
  params.push_back({"repeats", ParamType::Int, "3", "timed plan() calls per size (median reported)", 1, 1000, {}, false});
  return params;
}

const Registration<Experiment> registration{{
    "search_cost",
    "time to decide bit-widths (token-level vs window-level search) as visual tokens grow",
    search_cost_params(),
    [](const Params& params) { return std::make_unique<SearchCost>(params); },
}};

}  // namespace
}  // namespace wq
