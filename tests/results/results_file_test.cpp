// ResultsFile: round trip of every field, replacement, status queries, provenance.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "core/results/results_file.h"
#include "tests/results/results_test_util.h"

namespace wq {
namespace {

TEST(ResultsFile, RoundTripKeepsEveryField) {
  test::ScratchDir dir;
  const std::string path = dir.file("sweep.h5");
  ResultsFile file = ResultsFile::open_or_create(path, test::fixed_provenance("rt"));
  const RunRecord complete = test::full_record("a1b2c3", 1, 7);
  RunRecord failed = test::full_record("ffee00", 2, 0);
  failed.status = RunStatus::Failed;
  failed.error = "CUDA out of memory\nat layer 3";
  failed.samples = SampleTable();  // no columns: no dataset written
  failed.arrays.clear();
  file.commit_run(complete);
  file.commit_run(failed);

  const std::vector<RunRecord> runs = ResultsFile::open_existing(path).read_runs();
  ASSERT_EQ(runs.size(), 2u);
  test::expect_same_record(complete, runs[0]);
  test::expect_same_record(failed, runs[1]);
  // Spot values, so a symmetric bug in writer and reader cannot hide behind equality.
  EXPECT_EQ(std::get<std::vector<int64_t>>(runs[0].samples.column("sample_id"))[6], 100006);
  EXPECT_EQ(std::get<std::vector<std::string>>(runs[0].samples.column("generated"))[1],
            "(B) r\xC3\xA9ponse 100001");
  EXPECT_DOUBLE_EQ(runs[0].metrics.at("accuracy/counting"), 0.75);
  EXPECT_EQ(runs[0].arrays.at("layer_error")[2], 0.30000000000000004);
  EXPECT_TRUE(runs[1].samples.empty());
}

TEST(ResultsFile, ZeroRowTableKeepsItsColumns) {
  test::ScratchDir dir;
  ResultsFile file = ResultsFile::open_or_create(dir.file("z.h5"), test::fixed_provenance("z"));
  RunRecord record = test::full_record("zero", 0, 0);
  ASSERT_EQ(record.samples.rows(), 0u);
  file.commit_run(record);
  const RunRecord back = file.read_run("zero").value();
  EXPECT_EQ(back.samples.rows(), 0u);
  EXPECT_EQ(back.samples.names(), record.samples.names());
  EXPECT_EQ(back.samples.column("task").index(), 2u);  // still a string column
}

TEST(ResultsFile, CommitReplacesARunOfTheSameId) {
  test::ScratchDir dir;
  ResultsFile file = ResultsFile::open_or_create(dir.file("r.h5"), test::fixed_provenance("r"));
  RunRecord first = test::full_record("same", 1);
  first.status = RunStatus::Failed;
  first.error = "boom";
  file.commit_run(first);
  file.commit_run(test::full_record("other", 2));
  const RunRecord second = test::full_record("same", 3, 2);
  file.commit_run(second);

  const std::vector<RunRecord> runs = file.read_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run_id, "other");  // the replaced run moved to the end: commit order
  test::expect_same_record(second, runs[1]);
  EXPECT_EQ(runs[1].samples.rows(), 2u);
  EXPECT_EQ(runs[1].metrics.at("run_index"), 3.0);
}

TEST(ResultsFile, StatusQueries) {
  test::ScratchDir dir;
  ResultsFile file = ResultsFile::open_or_create(dir.file("s.h5"), test::fixed_provenance("s"));
  RunRecord running = test::full_record("run_running", 1, 1);
  running.status = RunStatus::Running;
  RunRecord failed = test::full_record("run_failed", 2, 1);
  failed.status = RunStatus::Failed;
  file.commit_run(running);
  file.commit_run(failed);
  file.commit_run(test::full_record("run_complete", 3, 1));

  EXPECT_EQ(file.run_status("run_running"), RunStatus::Running);
  EXPECT_EQ(file.run_status("run_failed"), RunStatus::Failed);
  EXPECT_EQ(file.run_status("run_complete"), RunStatus::Complete);
  EXPECT_EQ(file.run_status("absent"), std::nullopt);
  const std::map<std::string, RunStatus> expected = {{"run_running", RunStatus::Running},
                                                     {"run_failed", RunStatus::Failed},
                                                     {"run_complete", RunStatus::Complete}};
  EXPECT_EQ(file.run_statuses(), expected);
  EXPECT_FALSE(file.read_run("absent").has_value());
}

TEST(ResultsFile, SummaryReadSkipsSamplesAndArrays) {
  test::ScratchDir dir;
  ResultsFile file = ResultsFile::open_or_create(dir.file("d.h5"), test::fixed_provenance("d"));
  file.commit_run(test::full_record("x", 5, 3));
  const RunRecord summary = file.read_run("x", ReadDepth::Summary).value();
  EXPECT_TRUE(summary.samples.empty());
  EXPECT_TRUE(summary.arrays.empty());
  EXPECT_DOUBLE_EQ(summary.metrics.at("bits_effective"), 2.375);
  EXPECT_EQ(summary.config_flat.at("seed"), "5");
}

TEST(ResultsFile, InvalidRunIdsAndArrayNamesAreRejected) {
  test::ScratchDir dir;
  ResultsFile file = ResultsFile::open_or_create(dir.file("i.h5"), test::fixed_provenance("i"));
  EXPECT_THROW(file.commit_run(test::full_record("a/b", 1)), std::invalid_argument);
  EXPECT_THROW(file.commit_run(test::full_record("", 1)), std::invalid_argument);
  RunRecord bad_array = test::full_record("ok", 1);
  bad_array.arrays["per/layer"] = {1.0};
  EXPECT_THROW(file.commit_run(bad_array), std::invalid_argument);
  // A failed commit leaves the file as it was and no temporary copy behind.
  EXPECT_TRUE(file.read_runs().empty());
  EXPECT_EQ(test::count_files_with_prefix(dir.path(), "i.h5.tmp-"), 0);
}

TEST(ResultsFile, ProvenanceRoundTripAndSweepCheck) {
  test::ScratchDir dir;
  const std::string path = dir.file("p.h5");
  const Provenance original = test::fixed_provenance("sweep_a", "00ff00ff00ff00ff");
  ResultsFile::open_or_create(path, original).commit_run(test::full_record("r1", 1));

  Provenance read = ResultsFile::open_existing(path).provenance();
  EXPECT_EQ(read.schema_version, kResultsSchemaVersion);
  EXPECT_EQ(read.sweep_name, "sweep_a");
  EXPECT_EQ(read.sweep_fingerprint, "00ff00ff00ff00ff");
  EXPECT_EQ(read.git_commit, original.git_commit);
  EXPECT_TRUE(read.git_dirty);
  EXPECT_EQ(read.host, "testhost");
  EXPECT_EQ(read.cpu_model, "Test CPU @ 1.00GHz");
  EXPECT_EQ(read.torch_version, "1.13.0");
  EXPECT_EQ(read.argv, original.argv);
  EXPECT_EQ(read.seed, 1234);
  EXPECT_EQ(read.created_at, "2024-01-02T03:04:05Z");
  EXPECT_NE(read.updated_at, "2024-01-02T03:04:05Z");  // the commit set it to now
  EXPECT_EQ(read.extra.at("note"), "unit test");

  // Resuming with a new session: provenance replaced, created_at and runs kept.
  Provenance resumed = test::fixed_provenance("sweep_a", "00ff00ff00ff00ff");
  resumed.host = "otherhost";
  resumed.created_at = "2030-01-01T00:00:00Z";
  resumed.argv = {"wq", "run", "--resume"};
  ResultsFile again = ResultsFile::open_or_create(path, resumed);
  read = again.provenance();
  EXPECT_EQ(read.host, "otherhost");
  EXPECT_EQ(read.argv, resumed.argv);
  EXPECT_EQ(read.created_at, "2024-01-02T03:04:05Z");
  EXPECT_EQ(again.run_status("r1"), RunStatus::Complete);

  // Another sweep, or the same sweep with a different list of runs, is refused.
  EXPECT_THROW(ResultsFile::open_or_create(path, test::fixed_provenance("sweep_b")), std::runtime_error);
  EXPECT_THROW(ResultsFile::open_or_create(path, test::fixed_provenance("sweep_a", "1111111111111111")),
               std::runtime_error);
}

TEST(ResultsFile, EmptyArgvAndUpdateProvenance) {
  test::ScratchDir dir;
  Provenance provenance = test::fixed_provenance("u");
  provenance.argv.clear();
  ResultsFile file = ResultsFile::open_or_create(dir.file("u.h5"), provenance);
  EXPECT_TRUE(file.provenance().argv.empty());
  provenance.argv = {"only"};
  provenance.gpu_name = "NVIDIA H100 80GB HBM3";
  file.update_provenance(provenance);
  EXPECT_EQ(file.provenance().argv, std::vector<std::string>{"only"});
  EXPECT_EQ(file.provenance().gpu_name, "NVIDIA H100 80GB HBM3");
}

TEST(ResultsFile, OpenExistingRejectsMissingAndForeignFiles) {
  test::ScratchDir dir;
  EXPECT_THROW(ResultsFile::open_existing(dir.file("missing.h5")), std::runtime_error);
  const std::string garbage = dir.file("garbage.h5");
  FILE* out = std::fopen(garbage.c_str(), "w");
  std::fputs("not an hdf5 file", out);
  std::fclose(out);
  EXPECT_THROW(ResultsFile::open_existing(garbage), std::runtime_error);
  // open_or_create must not overwrite a file it cannot read.
  EXPECT_THROW(ResultsFile::open_or_create(garbage, test::fixed_provenance("g")), std::runtime_error);
}

// The commit, dirty flag and version are those the library was built from, wherever it runs:
// collected from a folder outside any checkout, they are still the source tree's.
TEST(Provenance, CollectFillsEveryField) {
  test::ScratchDir elsewhere;
  const std::string previous = std::filesystem::current_path().string();
  std::filesystem::current_path(elsewhere.path());
  const Provenance provenance = collect_provenance({"wq", "run", "x.yaml"}, 42, "collect");
  std::filesystem::current_path(previous);
  FILE* git = popen("git -C " WQ_SOURCE_DIR " rev-parse HEAD", "r");
  char head[64] = {};
  ASSERT_NE(git, nullptr);
  ASSERT_NE(std::fgets(head, sizeof head, git), nullptr);
  pclose(git);
  EXPECT_EQ(provenance.git_commit, std::string(head, 40)) << "the library was built at another commit: rebuild";
  EXPECT_EQ(provenance.wq_version, "0.1.0");  // project(windowquant VERSION ...)
  EXPECT_EQ(provenance.sweep_name, "collect");
  EXPECT_EQ(provenance.seed, 42);
  EXPECT_EQ(provenance.argv.size(), 3u);
  EXPECT_FALSE(provenance.host.empty());
  EXPECT_NE(provenance.cpu_model, "");
  EXPECT_FALSE(provenance.gpu_name.empty());
  EXPECT_NE(provenance.torch_version, "none");  // the library is built against LibTorch
  EXPECT_EQ(provenance.created_at.size(), 20u);
  EXPECT_EQ(provenance.created_at.back(), 'Z');
}

TEST(Provenance, SweepFingerprintDependsOnIdsAndOrder) {
  const std::string base = sweep_fingerprint({"ab", "c"});
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(base, sweep_fingerprint({"ab", "c"}));
  EXPECT_NE(base, sweep_fingerprint({"a", "bc"}));
  EXPECT_NE(base, sweep_fingerprint({"c", "ab"}));
  EXPECT_EQ(sweep_fingerprint({}), "cbf29ce484222325");  // FNV-1a 64 offset basis
}

}  // namespace
}  // namespace wq
