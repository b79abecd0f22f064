// The acceptance check, in CI: `wq run configs/quickstart.yaml cache.mode=packed` gives
// the same answers as `cache.mode=simulate` for every method of the quickstart (the shipped
// proxy, head dim 32), on a CI-sized slice of its questions; each run records its cache mode
// and attention path.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/results/results_file.h"
#include "experiments/runner.h"
#include "test_files.h"

namespace wq {
namespace {

std::map<std::string, RunRecord> run_quickstart(const std::string& dir, const std::string& mode) {
  RunnerOptions options;
  const std::string source = WQ_SOURCE_DIR;
  options.overrides = {"model.path=" + source + "/models/proxy", "dataset.root=" + dir + "/data",
                       "sweep.max_samples=10", "cache.mode=" + mode};
  options.output = dir + "/" + mode + ".h5";
  const SweepOutcome outcome = run_sweep(source + "/configs/quickstart.yaml", options);
  EXPECT_EQ(outcome.failed, 0u);
  std::map<std::string, RunRecord> runs;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) runs[run.name] = run;
  return runs;
}

TEST(PackedMode, QuickstartGivesTheSameAnswersAsSimulate) {
  const std::string dir = testing::make_temp_dir("packed_quickstart");
  const auto simulate = run_quickstart(dir, "simulate");
  const auto packed = run_quickstart(dir, "packed");
  ASSERT_EQ(simulate.size(), 13u);
  ASSERT_EQ(packed.size(), simulate.size());
  for (const auto& [name, sim] : simulate) {
    SCOPED_TRACE(name);
    const RunRecord& pk = packed.at(name);
    if (sim.status == RunStatus::Skipped) {  // a budget below the method's floor on the proxy
      EXPECT_EQ(pk.status, RunStatus::Skipped);
      EXPECT_EQ(pk.error, sim.error);
      continue;
    }
    ASSERT_EQ(sim.status, RunStatus::Complete) << sim.error;
    ASSERT_EQ(pk.status, RunStatus::Complete) << pk.error;
    ASSERT_EQ(pk.samples.rows(), 10u);
    EXPECT_EQ(std::get<std::vector<std::string>>(pk.samples.column("generated")),
              std::get<std::vector<std::string>>(sim.samples.column("generated")));
    EXPECT_EQ(pk.metrics.at("accuracy"), sim.metrics.at("accuracy"));
    EXPECT_EQ(pk.metrics.at("bits_effective"), sim.metrics.at("bits_effective"));
    EXPECT_EQ(sim.metric_notes.at("cache_mode"), "simulate");
    EXPECT_EQ(pk.metric_notes.at("cache_mode"), "packed");
    EXPECT_EQ(sim.metric_notes.at("attention_path"), "dequantized");
    // VidKV's FFT key channels are the one layout no kernel reads (AKVQ-VL's Hadamard is read rotated).
    EXPECT_EQ(pk.metric_notes.at("attention_path"), name.rfind("vidkv", 0) == 0 ? "dequantized" : "fused");
  }
  // Honest budgets: no two complete runs of one method under different budgets are one plan
  // (a budget below the method's floor is skipped, not replaced by the floor).
  std::map<std::string, std::set<double>> bits_by_method;
  size_t complete = 0;
  for (const auto& [name, run] : simulate) {
    if (run.status != RunStatus::Complete) continue;
    ++complete;
    EXPECT_TRUE(bits_by_method[run.method].insert(run.metrics.at("bits_effective")).second)
        << name << ": another " << run.method << " run has the same effective bits";
  }
  EXPECT_GE(complete, 8u);
}

}  // namespace
}  // namespace wq
