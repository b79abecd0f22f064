#include "repro_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "core/results/results_file.h"

namespace wq::repro {

std::string source_path(const std::string& relative) { return std::string(WQ_SOURCE_DIR) + "/" + relative; }

CommandResult run_shell(const std::string& command, const std::string& cwd) {
  const std::string capture = cwd + "/.repro-output";
  const std::string full = "cd '" + cwd + "' && ( " + command + " ) >'" + capture + "' 2>&1";
  const int status = std::system(full.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.output = read_file(capture);
  return result;
}

CommandResult run_wq(const std::string& args, const std::string& cwd) {
  return run_shell("'" + wq_binary() + "' " + args, cwd);
}

std::string plotting_python() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(candidate) + " -c 'import h5py, pandas, matplotlib' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return candidate;
  }
  return "";
}

std::string tiny_kv_fidelity_config(const std::string& name) {
  return "name: " + name + "\n" +
         "output: results/" + name + ".h5\n"
         "experiment: {kind: kv_fidelity, samples: 1, layers: 2, kv_heads: 2, q_heads: 4, head_dim: 64,\n"
         "             frames: 8, tokens_per_frame: 8, relevant_frames: 2}\n"
         "method: {name: fp16}\n"
         "sweep:\n"
         "  variants:\n"
         "    - {name: fp16, set: {method: {name: fp16}}}\n"
         "    - {name: uniform-2bit, set: {method: {name: uniform, bits: 2}}}\n"
         "    - {name: kivi-2bit, set: {method: {name: kivi, bits: 2, group_size: 16, residual: 16}}}\n"
         "    - {name: token_mixed, set: {method: {name: token_mixed, bits: [4, 2, 1], budget_bits: 3.0, group_size: 32, residual: 0}}}\n"
         "    - {name: windowquant-2.5, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 2.5, residual: 0}}}\n"
         "  grid:\n"
         "    seed: [0, 1]\n";
}

void expect_same_results(const std::string& expected, const std::string& actual) {
  std::map<std::string, RunRecord> want, got;
  for (auto& run : ResultsFile::open_existing(expected).read_runs()) want.emplace(run.run_id, std::move(run));
  for (auto& run : ResultsFile::open_existing(actual).read_runs()) got.emplace(run.run_id, std::move(run));
  ASSERT_EQ(want.size(), got.size()) << expected << " vs " << actual;
  for (const auto& [id, run] : want) {
    const auto found = got.find(id);
    ASSERT_NE(found, got.end()) << "run " << id << " (" << run.name << ") missing from " << actual;
    const RunRecord& other = found->second;
    EXPECT_EQ(run.name, other.name);
    EXPECT_EQ(run.status, other.status) << run.name;
    EXPECT_EQ(run.status, RunStatus::Complete) << run.name << ": " << run.error;
    ASSERT_EQ(run.metrics.size(), other.metrics.size()) << run.name;
    size_t compared = 0;
    for (const auto& [metric, value] : run.metrics) {
      ASSERT_TRUE(other.metrics.count(metric)) << run.name << " lacks " << metric;
      if (metric.rfind("t_", 0) == 0) continue;  // wall-clock timings differ between processes
      // Same code, same seed, same inputs: deterministic metrics must agree to the bit.
      EXPECT_EQ(value, other.metrics.at(metric)) << run.name << " " << metric;
      ++compared;
    }
    EXPECT_GE(compared, 4u) << run.name << ": too few deterministic metrics compared";
    EXPECT_TRUE(run.samples == other.samples) << run.name << ": per-sample tables differ";
  }
}

}  // namespace wq::repro
