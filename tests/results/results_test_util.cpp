#include "tests/results/results_test_util.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace wq::test {

ScratchDir::ScratchDir() {
  std::string pattern = ::testing::TempDir() + "wq_results_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Provenance fixed_provenance(const std::string& sweep_name, const std::string& fingerprint) {
  Provenance provenance;
  provenance.sweep_name = sweep_name;
  provenance.sweep_fingerprint = fingerprint;
  provenance.git_commit = "0123456789abcdef0123456789abcdef01234567";
  provenance.git_dirty = true;
  provenance.host = "testhost";
  provenance.cpu_model = "Test CPU @ 1.00GHz";
  provenance.gpu_name = "none";
  provenance.torch_version = "1.13.0";
  provenance.cuda_version = "none";
  provenance.wq_version = "0.1.0";
  provenance.argv = {"wq", "run", "configs/test.yaml", "method.bits=2"};
  provenance.created_at = "2024-01-02T03:04:05Z";
  provenance.updated_at = "2024-01-02T03:04:05Z";
  provenance.seed = 1234;
  provenance.extra = {{"note", "unit test"}};
  return provenance;
}

RunRecord full_record(const std::string& run_id, int index, size_t rows) {
  RunRecord record;
  record.run_id = run_id;
  record.name = "kivi bits=2 run" + std::to_string(index);
  record.method = "kivi";
  record.experiment = "accuracy";
  record.status = RunStatus::Complete;
  record.config_yaml = "method:\n  name: kivi\n  bits: 2\nseed: " + std::to_string(index) + "\n";
  record.config_flat = {{"method.name", "kivi"}, {"method.bits", "2"},
                        {"seed", std::to_string(index)}};
  record.started_at = "2024-01-02T03:04:05Z";
  record.finished_at = "2024-01-02T03:05:06Z";
  record.samples.add_int_column("sample_id");
  record.samples.add_string_column("task");
  record.samples.add_float_column("t_decode_per_token_ms");
  record.samples.add_int_column("correct");
  record.samples.add_string_column("generated");
  for (size_t r = 0; r < rows; ++r) {
    const int64_t id = index * 100000 + static_cast<int64_t>(r);
    record.samples.add_row({{"sample_id", id},
                            {"task", r % 2 == 0 ? std::string("action_sequence") : std::string("counting")},
                            {"t_decode_per_token_ms", 0.25 * static_cast<double>(r) + index},
                            {"correct", static_cast<int64_t>(r % 3 != 0)},
                            {"generated", "(B) r\xC3\xA9ponse " + std::to_string(id)}});
  }
  record.metrics = {{"accuracy", 0.625},
                    {"accuracy/action_sequence", 0.5},
                    {"accuracy/counting", 0.75},
                    {"t_decode_per_token_ms_mean", 12.5 + index},
                    {"kv_bytes", 1048576.0},
                    {"bits_nominal", 2.0},
                    {"bits_effective", 2.375},
                    {"run_index", static_cast<double>(index)}};
  record.metric_notes = {{"scoring", "official"}};
  record.arrays = {{"layer_error", {0.1, 0.2, 0.30000000000000004, static_cast<double>(index)}},
                   {"empty_curve", {}}};
  return record;
}

void expect_same_record(const RunRecord& expected, const RunRecord& actual) {
  EXPECT_EQ(expected.run_id, actual.run_id);
  EXPECT_EQ(expected.name, actual.name);
  EXPECT_EQ(expected.method, actual.method);
  EXPECT_EQ(expected.experiment, actual.experiment);
  EXPECT_EQ(expected.status, actual.status);
  EXPECT_EQ(expected.error, actual.error);
  EXPECT_EQ(expected.config_yaml, actual.config_yaml);
  EXPECT_EQ(expected.config_flat, actual.config_flat);
  EXPECT_EQ(expected.started_at, actual.started_at);
  EXPECT_EQ(expected.finished_at, actual.finished_at);
  EXPECT_TRUE(expected.samples == actual.samples) << "samples of run " << expected.run_id << " differ";
  EXPECT_EQ(expected.metrics, actual.metrics);
  EXPECT_EQ(expected.metric_notes, actual.metric_notes);
  EXPECT_EQ(expected.arrays, actual.arrays);
}

int count_files_with_prefix(const std::string& directory, const std::string& prefix) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) ++count;
  }
  return count;
}

}  // namespace wq::test
