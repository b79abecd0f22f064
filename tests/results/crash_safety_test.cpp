// A writer killed with SIGKILL at random moments must never leave a broken results file:
// every kill loses at most the run being committed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "core/results/results_file.h"
#include "tests/results/results_test_util.h"

namespace wq {
namespace {

constexpr int kRounds = 12;
constexpr size_t kRowsPerRun = 3000;  // makes a commit take a few ms: kills land inside it

std::string run_id_for(int round, int index) {
  return "r" + std::to_string(round) + "_" + std::to_string(index);
}

// Child process body: commits runs forever until killed. Never returns.
[[noreturn]] void commit_forever(const std::string& path, int round) {
  try {
    ResultsFile file = ResultsFile::open_or_create(path, test::fixed_provenance("crash"));
    for (int index = 0;; ++index) {
      file.commit_run(test::full_record(run_id_for(round, index), round * 1000 + index, kRowsPerRun));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "child failed: %s\n", error.what());
  }
  _exit(3);
}

TEST(CrashSafety, SigkillAtRandomMomentsNeverCorruptsTheFile) {
  test::ScratchDir dir;
  const std::string path = dir.file("crash.h5");
  std::mt19937 rng(20240501);
  // Kill delays spread from "while opening" to "after several commits".
  std::uniform_int_distribution<int> delay_us(0, 400000);
  std::set<std::string> seen;
  int kills_with_temp_left = 0;

  for (int round = 0; round < kRounds; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0) << "fork failed";
    if (child == 0) commit_forever(path, round);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped by itself (status " << status << ") in round " << round;
    if (test::count_files_with_prefix(dir.path(), "crash.h5.tmp-") > 0) ++kills_with_temp_left;

    if (round == 0 && !std::ifstream(path).good()) continue;  // killed before the first commit
    // The file opens and holds only whole runs, each one exactly as committed.
    const std::vector<RunRecord> runs = ResultsFile::open_existing(path).read_runs();
    std::set<std::string> now;
    for (const RunRecord& run : runs) {
      now.insert(run.run_id);
      const int index = static_cast<int>(run.metrics.at("run_index"));
      const RunRecord expected = test::full_record(run.run_id, index, kRowsPerRun);
      ASSERT_EQ(run.samples.rows(), kRowsPerRun) << run.run_id;
      test::expect_same_record(expected, run);
      if (::testing::Test::HasFailure()) return;
    }
    // Runs committed before a kill are never lost by a later kill.
    for (const auto& id : seen) ASSERT_EQ(now.count(id), 1u) << "run " << id << " was lost";
    seen = now;
  }
  // The kills did land inside commits (a temporary copy was left behind) at least once;
  // otherwise this test would not exercise the dangerous window.
  EXPECT_GT(kills_with_temp_left, 0);
  EXPECT_GT(seen.size(), 0u);
  // Opening for writing again removes the temporary copies of the dead writers.
  ResultsFile::open_or_create(path, test::fixed_provenance("crash"));
  EXPECT_EQ(test::count_files_with_prefix(dir.path(), "crash.h5.tmp-"), 0);
  std::printf("[          ] %zu runs survived %d kills; %d kills left a temporary copy\n",
              seen.size(), kRounds, kills_with_temp_left);
}

}  // namespace
}  // namespace wq
