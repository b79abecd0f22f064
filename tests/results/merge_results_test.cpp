// merge_results: shards combine, complete runs win, mismatched sweeps are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/results/merge_results.h"
#include "core/results/results_file.h"
#include "tests/results/results_test_util.h"

namespace wq {
namespace {

RunRecord with_status(RunRecord record, RunStatus status, const std::string& finished_at) {
  record.status = status;
  record.finished_at = finished_at;
  if (status == RunStatus::Failed) record.error = "failed on purpose";
  return record;
}

TEST(MergeResults, CombinesShardsAndPrefersCompleteRuns) {
  test::ScratchDir dir;
  const std::string fingerprint = sweep_fingerprint({"a", "b", "c", "d"});
  Provenance first = test::fixed_provenance("sweep", fingerprint);
  Provenance second = first;
  second.host = "gpu-node-2";
  second.gpu_name = "NVIDIA H200";
  second.created_at = "2023-12-31T00:00:00Z";

  ResultsFile shard0 = ResultsFile::open_or_create(dir.file("s0.h5"), first);
  shard0.commit_run(test::full_record("a", 1));
  shard0.commit_run(with_status(test::full_record("b", 2), RunStatus::Failed, "2024-01-01T00:00:00Z"));
  shard0.commit_run(with_status(test::full_record("c", 3), RunStatus::Complete, "2024-01-01T00:00:00Z"));
  ResultsFile shard1 = ResultsFile::open_or_create(dir.file("s1.h5"), second);
  shard1.commit_run(test::full_record("b", 20));  // complete: beats the failed copy
  shard1.commit_run(with_status(test::full_record("c", 30), RunStatus::Complete, "2024-02-01T00:00:00Z"));
  shard1.commit_run(with_status(test::full_record("d", 4), RunStatus::Running, ""));

  const MergeSummary summary = merge_results({dir.file("s0.h5"), dir.file("s1.h5")}, dir.file("all.h5"));
  EXPECT_EQ(summary.runs, 4u);
  EXPECT_EQ(summary.complete, 3u);
  EXPECT_EQ(summary.duplicates, 2u);

  const ResultsFile merged = ResultsFile::open_existing(dir.file("all.h5"));
  const std::vector<RunRecord> runs = merged.read_runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].run_id, "a");
  EXPECT_EQ(runs[1].run_id, "b");
  EXPECT_EQ(runs[2].run_id, "c");
  EXPECT_EQ(runs[3].run_id, "d");
  test::expect_same_record(test::full_record("a", 1), runs[0]);
  test::expect_same_record(test::full_record("b", 20), runs[1]);
  EXPECT_EQ(runs[2].metrics.at("run_index"), 30.0);  // both complete: later finished_at wins
  EXPECT_EQ(runs[3].status, RunStatus::Running);

  const Provenance provenance = merged.provenance();
  EXPECT_EQ(provenance.sweep_name, "sweep");
  EXPECT_EQ(provenance.sweep_fingerprint, fingerprint);
  EXPECT_EQ(provenance.host, "testhost; gpu-node-2");
  EXPECT_EQ(provenance.gpu_name, "none; NVIDIA H200");
  EXPECT_EQ(provenance.git_commit, first.git_commit);  // same commit: listed once
  EXPECT_EQ(provenance.created_at, "2023-12-31T00:00:00Z");
}

TEST(MergeResults, RefusesDifferentSweepsAndFingerprints) {
  test::ScratchDir dir;
  ResultsFile::open_or_create(dir.file("a.h5"), test::fixed_provenance("one", "1111"))
      .commit_run(test::full_record("x", 1));
  ResultsFile::open_or_create(dir.file("b.h5"), test::fixed_provenance("two", "1111"))
      .commit_run(test::full_record("y", 2));
  ResultsFile::open_or_create(dir.file("c.h5"), test::fixed_provenance("one", "2222"))
      .commit_run(test::full_record("z", 3));
  EXPECT_THROW(merge_results({dir.file("a.h5"), dir.file("b.h5")}, dir.file("out.h5")),
               std::runtime_error);
  EXPECT_THROW(merge_results({dir.file("a.h5"), dir.file("c.h5")}, dir.file("out.h5")),
               std::runtime_error);
  EXPECT_FALSE(std::ifstream(dir.file("out.h5")).good());
  EXPECT_EQ(test::count_files_with_prefix(dir.path(), "out.h5.tmp-"), 0);
  // An existing output that is not an input is never overwritten.
  EXPECT_THROW(merge_results({dir.file("a.h5")}, dir.file("c.h5")), std::runtime_error);
  EXPECT_EQ(ResultsFile::open_existing(dir.file("c.h5")).run_status("z"), RunStatus::Complete);
  EXPECT_THROW(merge_results({}, dir.file("out.h5")), std::invalid_argument);
}

// --union combines different sweeps (what shard merging refuses) and refuses only one run id
// recorded with two different configs; an absolute path that differs (another checkout) and
// the sweep's name are not differences.
TEST(MergeResults, UnionCombinesSweepsAndRefusesOnlyTheSameIdWithAnotherConfig) {
  test::ScratchDir dir;
  RunRecord shared_a = test::full_record("shared", 1);
  shared_a.config_flat["model.path"] = "/home/a/models/proxy";
  shared_a.config_flat["name"] = "one";
  RunRecord shared_b = shared_a;
  shared_b.config_flat["model.path"] = "/scratch/b/models/proxy";
  shared_b.config_flat["name"] = "two";
  ResultsFile one = ResultsFile::open_or_create(dir.file("one.h5"), test::fixed_provenance("one", "1111"));
  one.commit_run(test::full_record("x", 1));
  one.commit_run(shared_a);
  ResultsFile two = ResultsFile::open_or_create(dir.file("two.h5"), test::fixed_provenance("two", "2222"));
  two.commit_run(test::full_record("y", 2));
  two.commit_run(shared_b);
  EXPECT_THROW(merge_results({dir.file("one.h5"), dir.file("two.h5")}, dir.file("shards.h5")), std::runtime_error);

  const MergeSummary summary =
      merge_results({dir.file("one.h5"), dir.file("two.h5")}, dir.file("union.h5"), MergeMode::UnionOfSweeps);
  EXPECT_EQ(summary.runs, 3u);
  EXPECT_EQ(summary.duplicates, 1u);
  const ResultsFile merged = ResultsFile::open_existing(dir.file("union.h5"));
  EXPECT_EQ(merged.run_statuses().size(), 3u);
  EXPECT_EQ(merged.provenance().sweep_name, "one; two");
  EXPECT_EQ(merged.provenance().sweep_fingerprint, sweep_fingerprint({"x", "shared", "y"}));

  RunRecord other_bits = shared_a;
  other_bits.config_flat["method.bits"] = "3";
  ResultsFile::open_or_create(dir.file("three.h5"), test::fixed_provenance("three")).commit_run(other_bits);
  try {
    merge_results({dir.file("one.h5"), dir.file("three.h5")}, dir.file("bad.h5"), MergeMode::UnionOfSweeps);
    ADD_FAILURE() << "merged two configs under one run id";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("run shared is in '" + dir.file("one.h5") + "' and '" +
                                             dir.file("three.h5") + "' with different configs (method.bits: "),
              std::string::npos)
        << error.what();
  }
  EXPECT_FALSE(std::ifstream(dir.file("bad.h5")).good());
}

TEST(MergeResults, MergingIntoAnInputAndCompaction) {
  test::ScratchDir dir;
  const std::string path = dir.file("m.h5");
  ResultsFile file = ResultsFile::open_or_create(path, test::fixed_provenance("m"));
  for (int i = 0; i < 5; ++i) file.commit_run(test::full_record("same", i, 2000));
  ResultsFile::open_or_create(dir.file("n.h5"), test::fixed_provenance("m"))
      .commit_run(test::full_record("new", 9));

  merge_results({path}, dir.file("compact.h5"));
  // Replaced runs left dead space behind; the merged copy holds only the live run.
  EXPECT_LT(std::filesystem::file_size(dir.file("compact.h5")), std::filesystem::file_size(path));
  test::expect_same_record(test::full_record("same", 4, 2000),
                           ResultsFile::open_existing(dir.file("compact.h5")).read_run("same").value());

  merge_results({path, dir.file("n.h5")}, path);
  EXPECT_EQ(ResultsFile::open_existing(path).run_statuses().size(), 2u);
}

}  // namespace
}  // namespace wq
