// `wq slurm`: the generated scripts (text, shell syntax), their behaviour under a stand-in
// `sbatch` that runs them in place, and a real submission to a throwaway localhost Slurm.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/results/results_file.h"
#include "experiments/cli/slurm_command.h"
#include "repro_util.h"

namespace wq::repro {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

struct SlurmDir {
  std::string dir;
  explicit SlurmDir(const std::string& tag) : dir(make_temp_dir(tag)) {
    write_file(dir + "/sweep.yaml", tiny_kv_fidelity_config("tiny"));
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
  CommandResult generate(const std::string& args) const { return run_wq("slurm sweep.yaml " + args, dir); }
};

TEST(SlurmScripts, ArrayMergeAndSubmitText) {
  SlurmDir slurm("slurm-text");
  const auto result = slurm.generate("experiment.frames=4 --array 4 --partition gpu --time 02:30:00 --out out/x.h5");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string array = read_file(slurm.path("out/slurm/tiny.sbatch"));
  const std::string merge = read_file(slurm.path("out/slurm/tiny-merge.sbatch"));
  const std::string submit = read_file(slurm.path("out/slurm/tiny-submit.sh"));
  EXPECT_TRUE(fs::is_directory(slurm.path("out/slurm/logs")));

  EXPECT_TRUE(contains(array, "#SBATCH --array=0-3\n")) << array;
  EXPECT_TRUE(contains(array, "#SBATCH --gpus-per-task=1\n")) << array;  // the default
  EXPECT_TRUE(contains(array, "#SBATCH --partition=gpu\n")) << array;
  EXPECT_TRUE(contains(array, "#SBATCH --time=02:30:00\n")) << array;
  EXPECT_TRUE(contains(array, "#SBATCH --output=" + slurm.path("out/slurm/logs/wq-tiny-%A_%a.log") + "\n"));
  // Absolute paths everywhere; the task id picks the shard; --resume for requeued tasks.
  EXPECT_TRUE(contains(array, "cd '" + slurm.dir + "'\n")) << array;
  EXPECT_TRUE(contains(array, "exec '" + wq_binary() + "' run '" + slurm.path("sweep.yaml") +
                                  "' 'experiment.frames=4' --shard \"${SLURM_ARRAY_TASK_ID}/4\" --resume --out '" +
                                  slurm.path("out/x.h5") + "'\n"))
      << array;

  EXPECT_FALSE(contains(merge, "--array")) << merge;
  EXPECT_FALSE(contains(merge, "--gpus-per-task")) << merge;  // merging needs no GPU
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(contains(merge, "  '" + slurm.path("out/x.shard-" + std::to_string(i) + "-of-4.h5") + "'\n")) << merge;
  EXPECT_TRUE(contains(merge, "merge \"${inputs[@]}\" --out \"$output\"")) << merge;

  EXPECT_TRUE(contains(submit, "array_job=$(sbatch --parsable '" + slurm.path("out/slurm/tiny.sbatch") + "')"));
  EXPECT_TRUE(contains(submit, "sbatch --parsable --dependency=afterok:\"$array_job\" '" +
                                   slurm.path("out/slurm/tiny-merge.sbatch") + "'"))
      << submit;

  for (const char* script : {"tiny.sbatch", "tiny-merge.sbatch", "tiny-submit.sh"}) {
    const auto syntax = run_shell("bash -n 'out/slurm/" + std::string(script) + "'", slurm.dir);
    EXPECT_EQ(syntax.exit_code, 0) << script << ": " << syntax.output;
    EXPECT_TRUE((fs::status(slurm.path(std::string("out/slurm/") + script)).permissions() & fs::perms::owner_exec) !=
                fs::perms::none);
  }
}

TEST(SlurmScripts, OptionsAreChecked) {
  SlurmDir slurm("slurm-bad");
  EXPECT_NE(slurm.generate("--array 0").exit_code, 0);
  const auto time = slurm.generate("--array 2 --time 'two hours'");
  EXPECT_NE(time.exit_code, 0);
  EXPECT_TRUE(contains(time.output, "is not a Slurm time")) << time.output;
  EXPECT_NE(slurm.generate("--array 2 --partition 'a b'").exit_code, 0);
  const auto config = slurm.generate("method.bist=2 --array 2");
  EXPECT_EQ(config.exit_code, 2) << config.output;  // config errors before any script is written
  EXPECT_FALSE(fs::exists(slurm.path("results/slurm")));
  // CPU-only sweeps: no GPU request at all.
  ASSERT_EQ(slurm.generate("--array 2 --gpus-per-task 0 --script jobs/cpu.sbatch").exit_code, 0);
  EXPECT_FALSE(contains(read_file(slurm.path("jobs/cpu.sbatch")), "gpus"));
  EXPECT_TRUE(fs::exists(slurm.path("jobs/cpu-merge.sbatch")));
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

// A stand-in `sbatch` that runs an array script once per task id (sequentially) and a
// dependent job only if every task it depends on succeeded: the scripts' own logic,
// end to end, on machines without Slurm.
constexpr const char* kFakeSbatch = R"(#!/bin/bash
set -u
state=$(dirname "$0")
dependency=""; script=""
for arg in "$@"; do
  case "$arg" in
    --parsable) ;;
    --dependency=afterok:*) dependency=${arg#--dependency=afterok:} ;;
    -*) echo "fake sbatch: unexpected option $arg" >&2; exit 2 ;;
    *) script=$arg ;;
  esac
done
id=$(( $(cat "$state/next_id" 2>/dev/null || echo 100) + 1 )); echo $id > "$state/next_id"
echo "$id dependency=$dependency script=$script" >> "$state/sbatch_calls"
if [[ -n "$dependency" && -e "$state/failed_$dependency" ]]; then echo "$id"; exit 0; fi
range=$(sed -n 's/^#SBATCH --array=\([0-9]*-[0-9]*\)$/\1/p' "$script")
if [[ -n "$range" ]]; then
  for task in $(seq ${range%-*} ${range#*-}); do
    SLURM_ARRAY_TASK_ID=$task bash "$script" >> "$state/job_$id.log" 2>&1 || touch "$state/failed_$id"
  done
else
  bash "$script" >> "$state/job_$id.log" 2>&1 || touch "$state/failed_$id"
fi
echo "$id"
)";

TEST(SlurmScripts, SubmitRunsArrayThenMergeUnderAStandInSbatch) {
  SlurmDir slurm("slurm-fake");
  ASSERT_EQ(run_wq("run sweep.yaml --out ref.h5", slurm.dir).exit_code, 0);
  ASSERT_EQ(slurm.generate("--array 3 --gpus-per-task 0 --out res/merged.h5").exit_code, 0);
  fs::create_directories(slurm.path("bin"));
  write_file(slurm.path("bin/sbatch"), kFakeSbatch);
  fs::permissions(slurm.path("bin/sbatch"), fs::perms::owner_all);
  const auto submitted = run_shell("PATH=\"$PWD/bin:$PATH\" bash res/slurm/tiny-submit.sh", slurm.dir);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  EXPECT_TRUE(contains(submitted.output, "array_job=101 tasks=3")) << submitted.output;
  EXPECT_TRUE(contains(submitted.output, "merge_job=102 ")) << submitted.output;
  EXPECT_TRUE(contains(read_file(slurm.path("bin/sbatch_calls")), "102 dependency=101 script="));
  ASSERT_TRUE(fs::exists(slurm.path("res/merged.h5"))) << read_file(slurm.path("bin/job_101.log"))
                                                       << read_file(slurm.path("bin/job_102.log"));
  expect_same_results(slurm.path("ref.h5"), slurm.path("res/merged.h5"));

  // Resubmitting completes nothing new and merges into the existing output.
  const auto again = run_shell("PATH=\"$PWD/bin:$PATH\" bash res/slurm/tiny-submit.sh", slurm.dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_FALSE(fs::exists(slurm.path("bin/failed_104"))) << read_file(slurm.path("bin/job_104.log"));
  expect_same_results(slurm.path("ref.h5"), slurm.path("res/merged.h5"));
}

// The real thing: slurmctld + slurmd + munged on localhost from a temporary config
// (tests/repro/local_slurm.sh), submit.sh through the real sbatch, wait, check the merge.
TEST(SlurmLocalhost, ArrayAndDependentMergeCompleteEveryRun) {
  SlurmDir slurm("slurm-real");
  const std::string state = slurm.path("cluster");
  const std::string helper = source_path("tests/repro/local_slurm.sh");
  const auto started = run_shell("'" + helper + "' start '" + state + "'", slurm.dir);
  if (started.exit_code == 77) GTEST_SKIP() << started.output;
  ASSERT_EQ(started.exit_code, 0) << started.output;
  struct Stop {
    std::string command;
    ~Stop() { (void)std::system(command.c_str()); }
  } stop{"'" + helper + "' stop '" + state + "'"};

  const std::string env = "SLURM_CONF='" + state + "/slurm.conf' ";
  ASSERT_EQ(slurm.generate("--array 3 --gpus-per-task 0 --time 00:10:00 --out res/merged.h5").exit_code, 0);
  const auto submitted = run_shell(env + "bash res/slurm/tiny-submit.sh", slurm.dir);
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  ASSERT_TRUE(contains(submitted.output, "merge_job=")) << submitted.output;

  // Done when neither job is queued any more (squeue -h prints nothing).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (std::chrono::steady_clock::now() < deadline) {
    const auto queue = run_shell(env + "squeue -h", slurm.dir);
    if (queue.exit_code == 0 && queue.output.empty()) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  ASSERT_TRUE(fs::exists(slurm.path("res/merged.h5")))
      << "no merged file; logs in " << slurm.path("res/slurm/logs") << "\n"
      << run_shell("tail -n 20 res/slurm/logs/*", slurm.dir).output;
  const auto runs = ResultsFile::open_existing(slurm.path("res/merged.h5")).read_runs(ReadDepth::Summary);
  EXPECT_EQ(runs.size(), 10u);
  for (const auto& run : runs) EXPECT_EQ(run.status, RunStatus::Complete) << run.name << ": " << run.error;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(fs::exists(slurm.path("res/merged.shard-" + std::to_string(i) + "-of-3.h5")));
}

}  // namespace
}  // namespace wq::repro
