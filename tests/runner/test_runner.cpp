// The sweep runner: dry runs, failed runs recorded without stopping the sweep, resume after
// a SIGKILL of a real `wq` process, shard files, and the `wq validate` error report.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "core/results/results_file.h"
#include "experiments/experiment.h"
#include "experiments/runner.h"
#include "runner_test_support.h"

namespace wq {
namespace {

using testing::make_temp_dir;
using testing::run_wq;
using testing::write_file;

// Fails whenever its `fail` parameter is true: a run that throws must not stop the sweep.
class FlakyExperiment : public Experiment {
 public:
  explicit FlakyExperiment(bool fail) : fail_(fail) {}
  void run(RunContext& ctx) override {
    if (fail_) throw std::runtime_error("planned failure");
    ctx.record.metrics["answer"] = 42;
  }

 private:
  bool fail_;
};

const Registration<Experiment> flaky_registration{{
    "test_flaky",
    "test-only experiment that fails on demand",
    {{"fail", ParamType::Bool, "false", "throw from run()"}},
    [](const Params& p) { return std::make_unique<FlakyExperiment>(p.get_bool("fail")); },
}};

constexpr const char* kSweepOfFour = R"(name: resume_test
seed: 3
experiment: {kind: kv_fidelity, samples: 6, layers: 2, frames: 8, tokens_per_frame: 16}
method: {name: uniform, bits: 2}
sweep:
  grid:
    method.bits: [2, 3, 4, 8]
)";

TEST(Runner, FailedRunIsRecordedAndSweepContinues) {
  const std::string dir = make_temp_dir("runner-fail");
  write_file(dir + "/flaky.yaml", R"(name: flaky
experiment: {kind: test_flaky}
sweep:
  zip:
    - {experiment.fail: [false, true, false], seed: [1, 2, 3]}
)");
  RunnerOptions options;
  options.output = dir + "/flaky.h5";
  const SweepOutcome outcome = run_sweep(dir + "/flaky.yaml", options);
  EXPECT_EQ(outcome.complete, 2u);
  EXPECT_EQ(outcome.failed, 1u);
  const auto runs = ResultsFile::open_existing(options.output).read_runs();
  ASSERT_EQ(runs.size(), 3u);
  int failed = 0;
  for (const auto& run : runs) {
    if (run.status == RunStatus::Failed) {
      ++failed;
      EXPECT_NE(run.error.find("planned failure"), std::string::npos);
    } else {
      EXPECT_EQ(run.status, RunStatus::Complete);
      EXPECT_EQ(run.metrics.at("answer"), 42);
    }
  }
  EXPECT_EQ(failed, 1);
}

TEST(Runner, BudgetBelowTheMethodsFloorIsSkippedWithTheFloorNeverRunAtAnother) {
  const std::string dir = make_temp_dir("runner-infeasible");
  write_file(dir + "/budget.yaml", R"(name: budgets
seed: 3
experiment: {kind: kv_fidelity, samples: 2, layers: 2, frames: 8, tokens_per_frame: 16}
method: {name: windowquant, bits: [4, 2, 1], budget_bits: 8.0}
sweep:
  variants:
    - {name: wq-0.5, set: {method.budget_bits: 0.5}}
    - {name: wq-8.0, set: {method.budget_bits: 8.0}}
    - {name: token-0.5, set: {method: {name: token_mixed, bits: [4, 2, 1], budget_bits: 0.5}}}
)");
  RunnerOptions options;
  options.output = dir + "/budgets.h5";
  const SweepOutcome outcome = run_sweep(dir + "/budget.yaml", options);
  EXPECT_EQ(outcome.complete, 1u);
  EXPECT_EQ(outcome.skipped, 2u);
  EXPECT_EQ(outcome.failed, 0u);
  std::map<std::string, RunRecord> runs;
  for (auto& run : ResultsFile::open_existing(options.output).read_runs()) runs[run.name] = run;
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs.at("wq-8.0").status, RunStatus::Complete) << runs.at("wq-8.0").error;
  for (const char* name : {"wq-0.5", "token-0.5"}) {
    SCOPED_TRACE(name);
    const RunRecord& skipped = runs.at(name);
    EXPECT_EQ(skipped.status, RunStatus::Skipped);
    const std::string method = std::string(name).rfind("wq", 0) == 0 ? "windowquant" : "token_mixed";
    EXPECT_NE(skipped.error.find("budget 0.5 below " + method + "'s floor of "), std::string::npos) << skipped.error;
    EXPECT_GT(skipped.metrics.at("budget_floor_bits"), 1.0);  // 1-bit codes plus scales and minima
    EXPECT_EQ(skipped.metrics.count("attn_kl"), 0u);          // nothing measured under its name
  }
  options.resume = true;
  const SweepOutcome again = run_sweep(dir + "/budget.yaml", options);
  EXPECT_EQ(again.already_done, 3u);
}

TEST(Runner, RefusesExistingFileWithoutResume) {
  const std::string dir = make_temp_dir("runner-exists");
  write_file(dir + "/flaky.yaml", "name: once\nexperiment: {kind: test_flaky}\n");
  RunnerOptions options;
  options.output = dir + "/once.h5";
  run_sweep(dir + "/flaky.yaml", options);
  EXPECT_THROW(run_sweep(dir + "/flaky.yaml", options), std::runtime_error);
  options.resume = true;
  const SweepOutcome again = run_sweep(dir + "/flaky.yaml", options);
  EXPECT_EQ(again.already_done, 1u);
  EXPECT_EQ(again.complete, 0u);
}

// A value added to a grid: --resume into the old file keeps its runs and adds the new ones;
// a sweep that no longer holds some of the file's runs is refused, naming --union.
TEST(Runner, ResumeExtendsTheFileOfASweepThatGrewAndRefusesOneThatShrank) {
  const std::string dir = make_temp_dir("runner-grow");
  auto write_grid = [&](const std::string& values) {
    write_file(dir + "/grid.yaml", "name: grow\nseed: 3\nexperiment: {kind: kv_fidelity, samples: 2, layers: 1, "
                                   "frames: 4, tokens_per_frame: 8}\nmethod: {name: uniform, bits: 2}\n"
                                   "sweep:\n  grid:\n    method.bits: " + values + "\n");
  };
  RunnerOptions options;
  options.output = dir + "/grow.h5";
  write_grid("[2, 3]");
  EXPECT_EQ(run_sweep(dir + "/grid.yaml", options).complete, 2u);
  const auto before = ResultsFile::open_existing(options.output).read_runs(ReadDepth::Summary);
  options.resume = true;
  write_grid("[2, 3, 4]");
  const SweepOutcome grown = run_sweep(dir + "/grid.yaml", options);
  EXPECT_EQ(grown.already_done, 2u);
  EXPECT_EQ(grown.complete, 1u);
  const ResultsFile file = ResultsFile::open_existing(options.output);
  EXPECT_EQ(file.run_statuses().size(), 3u);
  for (const auto& run : before)  // the old runs are kept as they were, not redone
    EXPECT_EQ(file.read_run(run.run_id, ReadDepth::Summary)->finished_at, run.finished_at);
  std::vector<std::string> ids;  // commit order, which is the grown sweep's expansion order here
  for (const auto& run : file.read_runs(ReadDepth::Summary)) ids.push_back(run.run_id);
  EXPECT_EQ(file.provenance().sweep_fingerprint, sweep_fingerprint(ids));
  write_grid("[2]");
  try {
    run_sweep(dir + "/grid.yaml", options);
    ADD_FAILURE() << "resumed a sweep that lost runs into its file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("2 of its runs are not in this sweep"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("wq merge --union"), std::string::npos) << error.what();
  }
}

TEST(Runner, ShardsWriteSeparateFilesCoveringTheSweep) {
  const std::string dir = make_temp_dir("runner-shard");
  write_file(dir + "/s.yaml", R"(name: sharded
experiment: {kind: test_flaky}
sweep:
  variants:
    - {name: a, set: {seed: 1}}
    - {name: b, set: {seed: 2}}
    - {name: c, set: {seed: 3}}
)");
  std::set<std::string> names;
  for (size_t shard = 0; shard < 2; ++shard) {
    RunnerOptions options;
    options.output = dir + "/s.h5";
    options.shard = Shard{shard, 2};
    const SweepOutcome outcome = run_sweep(dir + "/s.yaml", options);
    EXPECT_EQ(outcome.output, dir + "/s.shard-" + std::to_string(shard) + "-of-2.h5");
    for (const auto& run : ResultsFile::open_existing(outcome.output).read_runs()) names.insert(run.name);
  }
  EXPECT_EQ(names, (std::set<std::string>{"a", "b", "c"}));
}

// SIGKILL a real `wq run` at a random moment after its first completed run, then resume:
// every run ends complete exactly once and runs finished before the kill are not redone.
TEST(Runner, ResumeAfterSigkillCompletesEveryRunOnce) {
  const std::string dir = make_temp_dir("runner-kill");
  write_file(dir + "/sweep.yaml", kSweepOfFour);
  const std::string output = dir + "/sweep.h5";
  std::mt19937 random(7);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    const std::string binary = testing::wq_binary();
    freopen("/dev/null", "w", stderr);
    execl(binary.c_str(), binary.c_str(), "run", "sweep.yaml", "--out", output.c_str(), (char*)nullptr);
    _exit(127);
  }
  std::map<std::string, std::string> finished_before_kill;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!std::filesystem::exists(output)) continue;
    const auto statuses = ResultsFile::open_existing(output).run_statuses();
    size_t complete = 0;
    for (const auto& [id, status] : statuses) complete += status == RunStatus::Complete;
    if (complete >= 1) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(random() % 200));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the sweep finished before it could be killed; make it longer";
  for (const auto& run : ResultsFile::open_existing(output).read_runs(ReadDepth::Summary))
    if (run.status == RunStatus::Complete) finished_before_kill[run.run_id] = run.finished_at + run.started_at;
  ASSERT_GE(finished_before_kill.size(), 1u);
  ASSERT_LT(finished_before_kill.size(), 4u);

  const auto resumed = run_wq("run sweep.yaml --resume --out '" + output + "'", dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.stderr_text;
  const auto runs = ResultsFile::open_existing(output).read_runs(ReadDepth::Summary);
  ASSERT_EQ(runs.size(), 4u);
  std::set<std::string> ids;
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, RunStatus::Complete) << run.name;
    ids.insert(run.run_id);
    const auto before = finished_before_kill.find(run.run_id);
    if (before != finished_before_kill.end()) {
      EXPECT_EQ(before->second, run.finished_at + run.started_at) << "run redone: " << run.name;
    }
  }
  EXPECT_EQ(ids.size(), 4u);
}

TEST(Cli, ValidateReportsEveryErrorWithFileAndLine) {
  const std::string dir = make_temp_dir("cli-validate");
  write_file(dir + "/bad.yaml", R"(name: bad
experiment: {kind: kv_fidelity, samples: two}
method:
  name: uniform
  bitz: 2
dataset: {name: mvbench, root: /nonexistent/mvbench}
)");
  const auto result = run_wq("validate bad.yaml", dir);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.stderr_text.find("bad.yaml:2"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("samples"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("bad.yaml:5"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("did you mean 'bits'"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("bad.yaml:6"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("/nonexistent/mvbench"), std::string::npos) << result.stderr_text;
  EXPECT_NE(result.stderr_text.find("3 error(s); nothing was run"), std::string::npos) << result.stderr_text;
  EXPECT_FALSE(std::filesystem::exists(dir + "/results"));
}

// Widths a method cannot use are validation errors (the method is built at validation),
// naming the file, the line and the key: before, `bits: 5` passed `wq validate` and failed
// every run.
TEST(Cli, ValidateBuildsEveryMethodAndReportsItsWidths) {
  const std::string dir = make_temp_dir("cli-validate-bits");
  write_file(dir + "/bits.yaml", R"(name: bits
experiment: {kind: kv_fidelity}
method: {name: uniform, bits: 2}
sweep:
  variants:
    - {name: five, set: {method: {name: uniform, bits: 5}}}
    - {name: list, set: {method: {name: windowquant, bits: [5, 3]}}}
    - {name: empty, set: {method: {name: windowquant, bits: []}}}
    - {name: twice, set: {method: {name: token_mixed, bits: [2, 2]}}}
)");
  const auto result = run_wq("validate bits.yaml", dir);
  EXPECT_NE(result.exit_code, 0);
  for (const char* expected : {"bits.yaml:6: method.bits: bit-width 5 is not one of 1, 1.58, 2, 3, 4, 8, 16",
                               "bits.yaml:7: method.bits: bit-width 5 is not one of",
                               "bits.yaml:8: method.bits: needs at least one bit-width",
                               "bits.yaml:9: method.bits: lists width 2 twice"})
    EXPECT_NE(result.stderr_text.find(expected), std::string::npos) << expected << "\n" << result.stderr_text;
}

// A budget below the method's floor on a context the config fixes (kv_fidelity's synthetic
// caches) is foreseen by `wq validate` and --dry-run, which name the run and the floor.
TEST(Cli, ValidateAndDryRunSayWhichRunsWillBeSkipped) {
  const std::string dir = make_temp_dir("cli-foresee");
  write_file(dir + "/floor.yaml", R"(name: floor
experiment: {kind: kv_fidelity, samples: 1, layers: 1, kv_heads: 2, q_heads: 4, head_dim: 64, frames: 8, tokens_per_frame: 8}
method: {name: fp16}
sweep:
  variants:
    - {name: wq-1.5, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 1.5, residual: 0}}}
    - {name: wq-3.0, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 3.0, residual: 0}}}
)");
  for (const char* command : {"validate floor.yaml", "run floor.yaml --dry-run"}) {
    const auto result = run_wq(command, dir);
    ASSERT_EQ(result.exit_code, 0) << command << "\n" << result.stderr_text;
    EXPECT_NE(result.stdout_text.find("will be skipped: wq-1.5: budget 1.5 below windowquant's floor of "),
              std::string::npos)
        << command << "\n" << result.stdout_text;
    EXPECT_EQ(result.stdout_text.find("will be skipped: wq-3.0"), std::string::npos) << result.stdout_text;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/results"));
}

TEST(Cli, DryRunPrintsExpandedRunsAndWritesNothing) {
  const std::string dir = make_temp_dir("cli-dry");
  write_file(dir + "/sweep.yaml", kSweepOfFour);
  const auto result = run_wq("run sweep.yaml --dry-run", dir);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_NE(result.stdout_text.find("4 run(s)"), std::string::npos) << result.stdout_text;
  EXPECT_NE(result.stdout_text.find("method.bits=8"), std::string::npos) << result.stdout_text;
  EXPECT_FALSE(std::filesystem::exists(dir + "/results"));
}

TEST(Cli, ListShowsMethodsWithParameters) {
  const auto result = run_wq("list methods", make_temp_dir("cli-list"));
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  for (const char* method : {"fp16", "uniform", "kivi", "token_mixed", "vidkv", "akvq_vl", "windowquant"})
    EXPECT_NE(result.stdout_text.find(std::string("name: ") + method), std::string::npos) << method;
  EXPECT_NE(result.stdout_text.find("group_size"), std::string::npos);
}

}  // namespace
}  // namespace wq
