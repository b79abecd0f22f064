// Shards, `wq merge` and `wq run --devices` give the same results as one unsharded run:
// same run ids, statuses and deterministic metric values (timings excepted).
#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "core/results/results_file.h"
#include "experiments/cli/devices_command.h"
#include "repro_util.h"

namespace wq::repro {
namespace {

namespace fs = std::filesystem;

struct SweepDir {
  std::string dir;
  explicit SweepDir(const std::string& tag) : dir(make_temp_dir(tag)) {
    write_file(dir + "/sweep.yaml", tiny_kv_fidelity_config("tiny"));
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
  // The reference: the whole sweep in one process.
  std::string unsharded() const {
    const auto result = run_wq("run sweep.yaml --out ref.h5", dir);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return path("ref.h5");
  }
};

TEST(ShardMerge, ThreeShardsMergedEqualUnsharded) {
  SweepDir sweep("shards");
  const std::string reference = sweep.unsharded();
  for (int i = 0; i < 3; ++i) {
    const auto result = run_wq("run sweep.yaml --shard " + std::to_string(i) + "/3 --out out.h5", sweep.dir);
    ASSERT_EQ(result.exit_code, 0) << result.output;
  }
  // 10 runs over 3 shards: positions k mod 3 -> 4, 3, 3 runs.
  EXPECT_EQ(ResultsFile::open_existing(sweep.path("out.shard-0-of-3.h5")).read_runs().size(), 4u);
  EXPECT_EQ(ResultsFile::open_existing(sweep.path("out.shard-2-of-3.h5")).read_runs().size(), 3u);
  const auto merged = run_wq("merge out.shard-0-of-3.h5 out.shard-1-of-3.h5 out.shard-2-of-3.h5 --out merged.h5",
                             sweep.dir);
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_NE(merged.output.find("10 run(s), 10 complete"), std::string::npos) << merged.output;
  expect_same_results(reference, sweep.path("merged.h5"));
}

TEST(ShardMerge, MergeRefusesAShardOfAnotherSweep) {
  SweepDir sweep("foreign");
  ASSERT_EQ(run_wq("run sweep.yaml --shard 0/2 --out a.h5", sweep.dir).exit_code, 0);
  // Same config file, different override: another sweep (other run ids, other fingerprint).
  ASSERT_EQ(run_wq("run sweep.yaml experiment.frames=4 --shard 1/2 --out a.h5", sweep.dir).exit_code, 0);
  const auto merged = run_wq("merge a.shard-0-of-2.h5 a.shard-1-of-2.h5 --out merged.h5", sweep.dir);
  EXPECT_NE(merged.exit_code, 0) << merged.output;
  EXPECT_FALSE(fs::exists(sweep.path("merged.h5")));
}

TEST(Devices, TwoWorkersMergedEqualUnsharded) {
  SweepDir sweep("devices");
  const std::string reference = sweep.unsharded();
  const auto result = run_wq("run sweep.yaml --devices 0,1 --out results/dev.h5", sweep.dir);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("0 worker(s) failed; merged 10 run(s), 10 complete"), std::string::npos)
      << result.output;
  expect_same_results(reference, sweep.path("results/dev.h5"));
  // Shard files and worker logs stay: they are what --resume continues from.
  for (const char* kept : {"dev.shard-0-of-2.h5", "dev.shard-1-of-2.h5", "dev.shard-0-of-2.log", "dev.shard-1-of-2.log"})
    EXPECT_TRUE(fs::exists(sweep.path(std::string("results/") + kept))) << kept;

  // Without --resume an existing output is refused before any worker starts ...
  const auto again = run_wq("run sweep.yaml --devices 0,1 --out results/dev.h5", sweep.dir);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("pass --resume"), std::string::npos) << again.output;
  // ... with it, every run is found complete and the merged file is unchanged.
  const auto resumed = run_wq("run sweep.yaml --devices 0,1 --resume --out results/dev.h5", sweep.dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(read_file(sweep.path("results/dev.shard-1-of-2.log")).find("already complete"), std::string::npos);
  expect_same_results(reference, sweep.path("results/dev.h5"));
}

// Each worker gets its own CUDA_VISIBLE_DEVICES, its shard and the pass-through options;
// checked through a wrapper executable that records them and then runs the real `wq`.
TEST(Devices, EachWorkerSeesItsDeviceAndShard) {
  SweepDir sweep("devenv");
  const std::string wrapper = sweep.path("wq-wrapper.sh");
  write_file(wrapper, "#!/bin/sh\necho \"$CUDA_VISIBLE_DEVICES $*\" >> '" + sweep.path("calls.txt") + "'\nexec '" +
                          wq_binary() + "' \"$@\"\n");
  fs::permissions(wrapper, fs::perms::owner_all);
  const std::string output = sweep.path("env.h5");
  const auto cwd = fs::current_path();
  fs::current_path(sweep.dir);
  DevicesOutcome outcome;
  try {
    outcome = run_on_devices({"sweep.yaml", {"experiment.frames=4"}, {"3", "7", "5"}, false, output, wrapper});
  } catch (...) {
    fs::current_path(cwd);
    throw;
  }
  fs::current_path(cwd);
  EXPECT_EQ(outcome.workers_failed, 0u);
  EXPECT_EQ(outcome.merge.runs, 10u);
  EXPECT_EQ(outcome.merge.complete, 10u);
  const std::string calls = read_file(sweep.path("calls.txt"));
  for (const std::string& expected : {"3 run sweep.yaml experiment.frames=4 --shard 0/3 --out " + output,
                                     "7 run sweep.yaml experiment.frames=4 --shard 1/3 --out " + output,
                                     "5 run sweep.yaml experiment.frames=4 --shard 2/3 --out " + output})
    EXPECT_NE(calls.find(expected + "\n"), std::string::npos) << calls;
}

TEST(Devices, FailedWorkerIsReportedAndTheRestMerged) {
  SweepDir sweep("devfail");
  const std::string wrapper = sweep.path("wq-wrapper.sh");
  // The worker on device "bad" dies before running anything.
  write_file(wrapper, "#!/bin/sh\n[ \"$CUDA_VISIBLE_DEVICES\" = bad ] && exit 3\nexec '" + wq_binary() + "' \"$@\"\n");
  fs::permissions(wrapper, fs::perms::owner_all);
  const auto cwd = fs::current_path();
  fs::current_path(sweep.dir);
  DevicesOutcome outcome;
  try {
    outcome = run_on_devices({"sweep.yaml", {}, {"0", "bad"}, false, sweep.path("f.h5"), wrapper});
  } catch (...) {
    fs::current_path(cwd);
    throw;
  }
  fs::current_path(cwd);
  EXPECT_EQ(outcome.workers_failed, 1u);
  EXPECT_EQ(outcome.merge.runs, 5u);  // shard 0 of 2: positions 0, 2, 4, 6, 8
}

TEST(Devices, DeviceListParsing) {
  EXPECT_EQ(parse_device_list("0,1, 2"), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(parse_device_list("GPU-5f3a"), (std::vector<std::string>{"GPU-5f3a"}));
  EXPECT_THROW(parse_device_list(""), std::invalid_argument);
  EXPECT_THROW(parse_device_list("0,,1"), std::invalid_argument);
  EXPECT_THROW(parse_device_list("0,1,0"), std::invalid_argument);
}

TEST(Devices, BadConfigStartsNoWorker) {
  SweepDir sweep("devbad");
  const auto result = run_wq("run sweep.yaml method.bist=2 --devices 0,1 --out x.h5", sweep.dir);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.find("worker"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(sweep.path("x.shard-0-of-2.h5")));
}

}  // namespace
}  // namespace wq::repro
