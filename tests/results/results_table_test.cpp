// format_results_table: the fixed-width table `wq show` prints.
#include <gtest/gtest.h>

#include "core/results/results_file.h"
#include "core/results/results_table.h"
#include "tests/results/results_test_util.h"

namespace wq {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(ResultsTable, OneRowPerRunWithThePresentColumns) {
  test::ScratchDir dir;
  const std::string path = dir.file("t.h5");
  ResultsFile file = ResultsFile::open_or_create(path, test::fixed_provenance("table_sweep"));
  file.commit_run(test::full_record("r1", 1));
  RunRecord failed = test::full_record("r2", 2);
  failed.name = "windowquant bits=1.58";
  failed.method = "windowquant";
  failed.status = RunStatus::Failed;
  failed.error = "window search diverged\nstack...";
  failed.metrics.clear();
  file.commit_run(failed);

  const std::string table = format_results_table(path);
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 7u) << table;
  EXPECT_EQ(lines[0], "sweep table_sweep: 2 runs (1 complete, 0 partial, 0 skipped, 1 failed, 0 running)");
  EXPECT_EQ(lines[1].rfind("git 0123456789ab+dirty  host testhost  gpu none", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2],
            "name                   method       status    accuracy  bits_nominal  bits_effective"
            "  kv_bytes  t_decode_per_token_ms_mean");
  EXPECT_EQ(lines[4],
            "kivi bits=2 run1       kivi         complete    0.6250             2           2.375"
            "  1.00 MiB                        13.5");
  EXPECT_EQ(lines[5],
            "windowquant bits=1.58  windowquant  failed           -             -               -"
            "         -                           -");
  EXPECT_EQ(lines[6], "failed windowquant bits=1.58: window search diverged");
}

TEST(ResultsTable, WithoutAccuracyShowsTheMostCommonMetrics) {
  RunRecord run;
  run.run_id = "k1";
  run.name = "pack 2bit";
  run.method = "kivi";
  run.status = RunStatus::Complete;
  run.metrics = {{"gbps", 812.5}, {"latency_us", 3.25}, {"rel_error/layer0", 0.1}};
  const std::string table = format_results_table(test::fixed_provenance("perf"), {run});
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 5u) << table;
  EXPECT_EQ(lines[2], "name       method  status     gbps  latency_us");
  EXPECT_EQ(lines[4], "pack 2bit  kivi    complete  812.5        3.25");
}

TEST(ResultsTable, SaysHowEachRunReadItsCache) {
  auto run = [](const std::string& name, std::map<std::string, std::string> notes) {
    RunRecord r;
    r.run_id = r.name = name;
    r.method = "uniform";
    r.status = RunStatus::Complete;
    r.metrics = {{"accuracy", 0.5}};
    r.metric_notes = std::move(notes);
    return r;
  };
  const std::string table = format_results_table(
      test::fixed_provenance("modes"),
      {run("a", {{"cache_mode", "simulate"}, {"attention_path", "dequantized"}}),
       run("b", {{"cache_mode", "packed"}, {"attention_path", "fused"}}),
       run("c", {{"cache_mode", "packed"}, {"attention_path", "dequantized"}}), run("d", {})});
  const std::vector<std::string> lines = lines_of(table);
  ASSERT_EQ(lines.size(), 8u) << table;
  EXPECT_EQ(lines[2], "name  method   status    cache               accuracy");
  EXPECT_EQ(lines[4], "a     uniform  complete  simulate              0.5000");
  EXPECT_EQ(lines[5], "b     uniform  complete  packed/fused          0.5000");
  EXPECT_EQ(lines[6], "c     uniform  complete  packed/dequantized    0.5000");
  EXPECT_EQ(lines[7], "d     uniform  complete  -                     0.5000");
}

}  // namespace
}  // namespace wq
