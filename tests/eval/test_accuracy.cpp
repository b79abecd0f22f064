// The `accuracy` experiment end to end through the runner: a synthetic benchmark written by
// the generator, the tiny proxy, two methods; per-sample rows, per-task metrics, the
// prepared-sample cache shared by the methods, and a broken video recorded as a failed row.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "core/results/results_file.h"
#include "datasets/synth/synth.h"
#include "experiments/runner.h"
#include "proxy_fixture.h"
#include "test_files.h"

namespace wq {
namespace {

std::string write_benchmark(const std::string& dir) {
  SynthOptions o;
  o.out_dir = dir + "/synth";
  o.seed = 5;
  o.questions_per_task = 2;
  o.frames_min = o.frames_max = 32;
  o.width = o.height = 32;
  o.sample_frames = 8;
  o.tasks = {"needle", "flash_count"};
  generate_synthetic(o);
  return o.out_dir;
}

template <class T>
const std::vector<T>& column(const RunRecord& run, const std::string& name) {
  return std::get<std::vector<T>>(run.samples.column(name));
}

TEST(AccuracyExperiment, RowsMetricsSharedContextsAndAFailedSample) {
  const std::string dir = testing::make_temp_dir("accuracy");
  const std::string root = write_benchmark(dir);
  // One unreadable video: its frame folder is gone.
  std::filesystem::remove_all(root + "/video/synthetic/flash_count/flash_count_0001");
  testing::write_file(dir + "/c.yaml", "name: acc\nexperiment: {kind: accuracy, max_new_tokens: 3}\n"
                                       "model: {name: llava_onevision, path: " + testing::tiny_proxy_checkpoint() +
                                       "}\ndataset: {name: synthetic, root: " + root +
                                       ", num_frames: 8}\nmethod: {name: fp16}\n"
                                       "sweep:\n  variants:\n    - {name: fp16}\n"
                                       "    - {name: u2, set: {method: {name: uniform, bits: 2, key_group_size: 16, value_group_size: 16},\n"
                                       "                       dataset.max_failed_samples: 1}}\n");
  RunnerOptions options;
  options.output = dir + "/c.h5";
  const SweepOutcome outcome = run_sweep(dir + "/c.yaml", options);
  EXPECT_EQ(outcome.failed, 0u);
  EXPECT_EQ(outcome.partial, 1u);
  EXPECT_EQ(outcome.complete, 1u);
  std::map<std::string, RunRecord> runs;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) runs[run.name] = run;
  ASSERT_EQ(runs.size(), 2u);
  // A failed sample makes a run partial unless the config allows it (u2 allows one).
  EXPECT_EQ(runs.at("fp16").status, RunStatus::Partial);
  EXPECT_NE(runs.at("fp16").error.find("1 of 4 samples failed (dataset.max_failed_samples: 0); first: "
                                       "flash_count/"), std::string::npos) << runs.at("fp16").error;
  EXPECT_EQ(runs.at("u2").status, RunStatus::Complete) << runs.at("u2").error;
  for (const auto& [name, run] : runs) {
    ASSERT_EQ(run.samples.rows(), 4u);
    EXPECT_EQ(run.metric_notes.at("ran_on"), "cpu float32");
    EXPECT_EQ(run.metric_notes.at("model_fingerprint").rfind("fnv1a64:", 0), 0u);
    const auto& failed = column<int64_t>(run, "failed");
    const auto& errors = column<std::string>(run, "error");
    EXPECT_EQ(failed, (std::vector<int64_t>{0, 0, 0, 1}));
    EXPECT_NE(errors[3].find("flash_count_0001"), std::string::npos) << errors[3];
    // The failed sample counts as wrong: accuracy over all 4, accuracy_answered over 3.
    EXPECT_EQ(run.metrics.at("samples_counted"), 4.0);
    EXPECT_EQ(run.metrics.at("samples_answered"), 3.0);
    EXPECT_EQ(run.metrics.at("samples_failed"), 1.0);
    const auto& correct = column<int64_t>(run, "correct");
    const double right = double(correct[0] + correct[1] + correct[2]);
    EXPECT_DOUBLE_EQ(run.metrics.at("accuracy"), right / 4.0);
    EXPECT_DOUBLE_EQ(run.metrics.at("accuracy_answered"), right / 3.0);
    EXPECT_TRUE(run.metrics.count("accuracy/needle"));
    EXPECT_TRUE(run.metrics.count("accuracy/flash_count"));
    EXPECT_EQ(run.metric_notes.count("tasks_all_failed"), 0u) << "flash_count still has an answered sample";
    EXPECT_EQ(column<int64_t>(run, "visual_tokens")[0], 33);
    EXPECT_GT(column<double>(run, "peak_memory_bytes")[0], 0.0);
    EXPECT_EQ(run.metric_notes.at("cache_mode"), "simulate");  // cache.mode auto, on the CPU
    EXPECT_EQ(run.metric_notes.at("attention_path"), "dequantized");
  }
  // The second method reuses the first one's vision output and context cache.
  EXPECT_EQ(column<int64_t>(runs.at("fp16"), "context_reused")[0], 0);
  EXPECT_EQ(column<int64_t>(runs.at("u2"), "context_reused")[0], 1);
  EXPECT_EQ(column<double>(runs.at("fp16"), "t_vision_ms")[0], column<double>(runs.at("u2"), "t_vision_ms")[0]);
  EXPECT_DOUBLE_EQ(runs.at("fp16").metrics.at("bits_effective"), 16.0);
  EXPECT_LT(runs.at("u2").metrics.at("kv_bytes"), 0.9 * runs.at("fp16").metrics.at("kv_bytes"));

  // --resume keeps the complete run and redoes the partial one (its videos may be back).
  options.resume = true;
  const SweepOutcome resumed = run_sweep(dir + "/c.yaml", options);
  EXPECT_EQ(resumed.already_done, 1u);
  EXPECT_EQ(resumed.partial, 1u);
}

// A task whose every sample failed keeps its row in the metrics, at 0, and is named.
TEST(AccuracyExperiment, TaskWithEverySampleFailedStaysAtZeroAndIsNamed) {
  const std::string dir = testing::make_temp_dir("accuracy-all-failed");
  const std::string root = write_benchmark(dir);
  for (const char* video : {"flash_count_0000", "flash_count_0001"})
    std::filesystem::remove_all(root + "/video/synthetic/flash_count/" + video);
  testing::write_file(dir + "/c.yaml", "name: acc\nexperiment: {kind: accuracy, max_new_tokens: 3}\n"
                                       "model: {name: llava_onevision, path: " + testing::tiny_proxy_checkpoint() +
                                       "}\ndataset: {name: synthetic, root: " + root +
                                       ", num_frames: 8}\nmethod: {name: fp16}\n");
  RunnerOptions options;
  options.output = dir + "/c.h5";
  run_sweep(dir + "/c.yaml", options);
  const auto runs = ResultsFile::open_existing(options.output).read_runs();
  ASSERT_EQ(runs.size(), 1u);
  const RunRecord& run = runs[0];
  EXPECT_EQ(run.metrics.at("samples_failed"), 2.0);
  EXPECT_EQ(run.metrics.at("accuracy/flash_count"), 0.0);
  EXPECT_EQ(run.metric_notes.at("tasks_all_failed"), "flash_count");
  EXPECT_DOUBLE_EQ(run.metrics.at("accuracy"), run.metrics.at("accuracy_answered") / 2.0);
}

// A sweep over the frame count must prepare every sample again at each count, never reuse
// the context of another count.
TEST(AccuracyExperiment, AnotherFrameCountIsPreparedAgain) {
  const std::string dir = testing::make_temp_dir("accuracy-frames");
  const std::string root = write_benchmark(dir);
  testing::write_file(dir + "/c.yaml", "name: acc\nexperiment: {kind: accuracy, max_new_tokens: 1}\n"
                                       "model: {name: llava_onevision, path: " + testing::tiny_proxy_checkpoint() +
                                       "}\ndataset: {name: synthetic, root: " + root +
                                       ", num_frames: 8, max_samples: 1}\nmethod: {name: fp16}\n"
                                       "sweep:\n  grid:\n    dataset.num_frames: [8, 4]\n");
  RunnerOptions options;
  options.output = dir + "/c.h5";
  EXPECT_EQ(run_sweep(dir + "/c.yaml", options).failed, 0u);
  std::map<int64_t, RunRecord> by_frames;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) {
    ASSERT_EQ(run.status, RunStatus::Complete) << run.error;
    by_frames[column<int64_t>(run, "frames")[0]] = run;
  }
  ASSERT_EQ(by_frames.size(), 2u);
  EXPECT_EQ(column<int64_t>(by_frames.at(8), "visual_tokens")[0], 33);
  EXPECT_EQ(column<int64_t>(by_frames.at(4), "visual_tokens")[0], 17);
  for (const auto& [frames, run] : by_frames) EXPECT_EQ(column<int64_t>(run, "context_reused")[0], 0) << frames;
}

}  // namespace
}  // namespace wq
