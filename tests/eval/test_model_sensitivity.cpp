// sensitivity with source: model: the window probe's plans, and the experiment end to end
// on the tiny proxy over the in-memory synthetic benchmark (rows, relevance from the
// generator's evidence frames, damage that grows as the probed window gets fewer bits).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numeric>

#include "core/results/results_file.h"
#include "core/windowquant/similarity.h"
#include "core/windowquant/window_probe.h"
#include "experiments/runner.h"
#include "proxy_fixture.h"
#include "test_files.h"

namespace wq {
namespace {

// Two text tokens, then frame 0 at positions 2..5 and frame 1 at 6, 7, 9, 10 (position 8 is
// a non-visual token between them), then one text token.
methods::ContextDescription two_frame_context() {
  methods::ContextDescription ctx;
  ctx.context_tokens = 12;
  ctx.visual_positions = {2, 3, 4, 5, 6, 7, 9, 10};
  ctx.frame_index = {0, 0, 0, 0, 1, 1, 1, 1};
  ctx.spatial_index = {0, 1, 2, 3, 0, 1, 2, 3};
  ctx.hidden = 2;
  ctx.query_token_ids = {1};
  ctx.query_embeddings = {1, 0};
  // Frame 0 points along the query, frame 1 across it.
  ctx.visual_embeddings = {1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1};
  return ctx;
}

TEST(WindowProbe, QuantizesOnlyTheSelectedWindowAndScoresEveryWindow) {
  const methods::ContextDescription ctx = two_frame_context();
  const cache::FullKv kv(1, 1, 12, 4);
  cache::TensorPlan key, value;
  key.spec = quant::uniform_spec(quant::QuantBits::b2, 4, quant::GroupAxis::tokens);
  value.spec = quant::uniform_spec(quant::QuantBits::b2, 4, quant::GroupAxis::channels);
  WindowProbe probe(windowquant::WindowUnit::frames, 1, windowquant::Similarity::embedding_cosine, key, value);

  probe.select(-1);
  EXPECT_TRUE(probe.plan(kv, ctx).for_layer(0).pieces.empty());
  ASSERT_EQ(probe.scores().size(), 2u);
  EXPECT_NEAR(probe.scores()[0], 1.0, 1e-9);
  EXPECT_NEAR(probe.scores()[1], 0.0, 1e-9);
  EXPECT_EQ(probe.window_frames(), (std::vector<std::vector<int>>{{0}, {1}}));

  probe.select(0);
  const auto first = probe.plan(kv, ctx).for_layer(0).pieces;
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].begin, 2);
  EXPECT_EQ(first[0].end, 6);

  probe.select(1);  // split around the non-visual token at position 8
  const auto second = probe.plan(kv, ctx).for_layer(0).pieces;
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(std::make_pair(second[0].begin, second[0].end), std::make_pair(6, 8));
  EXPECT_EQ(std::make_pair(second[1].begin, second[1].end), std::make_pair(9, 11));

  probe.select(2);
  EXPECT_THROW(probe.plan(kv, ctx), std::out_of_range);
}

template <class T>
const std::vector<T>& column(const RunRecord& run, const std::string& name) {
  return std::get<std::vector<T>>(run.samples.column(name));
}

TEST(ModelSensitivity, OneRowPerWindowRelevanceFromEvidenceAndDamageFallsWithBits) {
  const std::string dir = testing::make_temp_dir("model_sensitivity");
  testing::write_file(
      dir + "/s.yaml",
      "name: sens\nexperiment: {kind: sensitivity, source: model, low_bits: 1, key_group_size: 16, value_group_size: 16}\n"
      "model: {name: llava_onevision, path: " + testing::tiny_proxy_checkpoint() + "}\n"
      "dataset: {name: synthetic_memory, seed: 9, questions_per_task: 2, frames_min: 32, frames_max: 32, width: 32,\n"
      "          height: 32, sample_frames: 8, num_frames: 8, tasks: [needle, flash_count]}\n"
      "sweep:\n  variants:\n    - {name: b1}\n    - {name: b8, set: {experiment.low_bits: 8}}\n");
  RunnerOptions options;
  options.output = dir + "/s.h5";
  ASSERT_EQ(run_sweep(dir + "/s.yaml", options).failed, 0u);
  std::map<std::string, RunRecord> runs;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) runs[run.name] = run;
  ASSERT_EQ(runs.size(), 2u);
  std::map<std::string, double> mean_damage;
  for (const auto& [name, run] : runs) {
    ASSERT_EQ(run.status, RunStatus::Complete) << run.error;
    ASSERT_EQ(run.samples.rows(), 4u * 8u) << "4 samples x 8 one-frame windows";
    const auto& sample_ids = column<std::string>(run, "sample_id");
    const auto& relevant = column<int64_t>(run, "relevant");
    const auto& damage = column<double>(run, "damage");
    const auto& window = column<int64_t>(run, "window");
    for (size_t s = 0; s < 4; ++s) {
      int64_t relevant_windows = 0;
      for (size_t w = 0; w < 8; ++w) {
        EXPECT_EQ(sample_ids[s * 8 + w], sample_ids[s * 8]);
        EXPECT_EQ(window[s * 8 + w], int64_t(w));
        relevant_windows += relevant[s * 8 + w];
      }
      // The generator aligns each needle and each flash with exactly one sampled frame.
      if (sample_ids[s * 8].rfind("needle", 0) == 0) EXPECT_EQ(relevant_windows, 1) << sample_ids[s * 8];
      else EXPECT_GE(relevant_windows, 1) << sample_ids[s * 8];
    }
    for (double d : damage) {
      EXPECT_TRUE(std::isfinite(d));
      EXPECT_GT(d, -1e-6) << "KL is non-negative";
    }
    mean_damage[name] = std::accumulate(damage.begin(), damage.end(), 0.0) / double(damage.size());
    EXPECT_EQ(run.metrics.at("samples_evaluated"), 4.0);
    const double rho = run.metrics.at("spearman_similarity_damage");
    EXPECT_TRUE(std::isnan(rho) || (rho >= -1.0 && rho <= 1.0));
    const double recall = run.metrics.at("evidence_recall_at_k");
    EXPECT_GE(recall, 0.0);
    EXPECT_LE(recall, 1.0);
  }
  EXPECT_GT(mean_damage.at("b1"), 10.0 * mean_damage.at("b8"));
}

}  // namespace
}  // namespace wq
