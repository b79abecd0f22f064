// The synthetic-KV experiments end to end through the runner: kv_fidelity (every method's
// attention error falls as its budget grows; fp16 is exact), search_cost and sensitivity.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/results/results_file.h"
#include "experiments/runner.h"
#include "runner_test_support.h"

namespace wq {
namespace {

using testing::make_temp_dir;
using testing::write_file;

std::map<std::string, RunRecord> run_config(const std::string& yaml, const std::string& tag) {
  const std::string dir = make_temp_dir(tag);
  write_file(dir + "/c.yaml", yaml);
  RunnerOptions options;
  options.output = dir + "/c.h5";
  const SweepOutcome outcome = run_sweep(dir + "/c.yaml", options);
  EXPECT_EQ(outcome.failed, 0u);
  std::map<std::string, RunRecord> by_name;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) {
    EXPECT_EQ(run.status, RunStatus::Complete) << run.name << ": " << run.error;
    by_name[run.name] = run;
  }
  return by_name;
}

// Each method at a low and a high budget: the higher budget must spend more effective bits
// and cause less attention-output error.
TEST(KvFidelity, ErrorFallsAsBudgetGrowsForEveryMethod) {
  const auto runs = run_config(R"(name: budgets
seed: 11
experiment: {kind: kv_fidelity, samples: 2, layers: 2, kv_heads: 2, q_heads: 4, head_dim: 64, frames: 16, tokens_per_frame: 16}
method: {name: fp16}
sweep:
  variants:
    - {name: fp16, set: {method: {name: fp16}}}
    - {name: uniform/low, set: {method: {name: uniform, bits: 2}}}
    - {name: uniform/high, set: {method: {name: uniform, bits: 4}}}
    - {name: kivi/low, set: {method: {name: kivi, bits: 2}}}
    - {name: kivi/high, set: {method: {name: kivi, bits: 4}}}
    - {name: token_mixed/low, set: {method: {name: token_mixed, bits: [8, 4, 2], budget_bits: 6}}}
    - {name: token_mixed/high, set: {method: {name: token_mixed, bits: [8, 4, 2], budget_bits: 8}}}
    - {name: vidkv/low, set: {method: {name: vidkv, key_bits: 1.0, salient_ratio: 0}}}
    - {name: vidkv/high, set: {method: {name: vidkv, key_bits: 2.0, salient_ratio: 0.5}}}
    - {name: akvq_vl/low, set: {method: {name: akvq_vl, bits: 2}}}
    - {name: akvq_vl/high, set: {method: {name: akvq_vl, bits: 4}}}
    - {name: windowquant/low, set: {method: {name: windowquant, bits: [4, 2], budget_bits: 3.2, residual: 0}}}
    - {name: windowquant/high, set: {method: {name: windowquant, bits: [4, 2], budget_bits: 4.5, residual: 0}}}
)",
                               "fidelity-budgets");
  EXPECT_EQ(runs.at("fp16").metrics.at("attn_out_rel_err"), 0.0);
  EXPECT_EQ(runs.at("fp16").metrics.at("bits_effective"), 16.0);
  for (const char* method : {"uniform", "kivi", "token_mixed", "vidkv", "akvq_vl", "windowquant"}) {
    const auto& low = runs.at(std::string(method) + "/low").metrics;
    const auto& high = runs.at(std::string(method) + "/high").metrics;
    EXPECT_LT(low.at("bits_effective"), high.at("bits_effective")) << method;
    EXPECT_GT(low.at("attn_out_rel_err"), high.at("attn_out_rel_err")) << method;
    EXPECT_GT(low.at("attn_out_rel_err"), 0.0) << method;
    EXPECT_LT(high.at("bits_effective"), 16.0) << method;
  }
}

TEST(SearchCost, RecordsOneRowPerSize) {
  const auto runs = run_config(R"(name: search
experiment: {kind: search_cost, visual_tokens: [256, 512], repeats: 1, layers: 2}
method: {name: windowquant, bits: [4, 2], budget_bits: 6.0}
)",
                               "search-cost");
  const auto& run = runs.begin()->second;
  EXPECT_EQ(run.samples.rows(), 2u);
  EXPECT_GT(run.metrics.at("t_search_ms/256"), 0.0);
  EXPECT_GT(run.metrics.at("t_search_ms/512"), 0.0);
}

TEST(Sensitivity, ScoresEveryWindowAndReportsCorrelations) {
  const auto runs = run_config(R"(name: sensitivity
seed: 2
experiment: {kind: sensitivity, samples: 2, layers: 2, frames: 12, tokens_per_frame: 16, relevant_frames: 2}
)",
                               "sensitivity");
  const auto& run = runs.begin()->second;
  EXPECT_EQ(run.samples.rows(), 24u);  // 12 one-frame windows x 2 samples
  for (const char* metric : {"spearman_similarity_damage", "spearman_relevance_damage"}) {
    const double rho = run.metrics.at(metric);
    EXPECT_TRUE(std::isfinite(rho)) << metric;
    EXPECT_GE(rho, -1.0);
    EXPECT_LE(rho, 1.0);
  }
  // The embedding-cosine score finds the frames the question is about in these caches.
  EXPECT_GE(run.metrics.at("evidence_recall_at_k"), 0.5);
  EXPECT_GT(run.metrics.at("damage_relevant_mean"), 0.0);
}

}  // namespace
}  // namespace wq
