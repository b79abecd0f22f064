// The Python side of the schema: the h5py + pandas snippet in docs/results-schema.md and
// scripts/wq_results.py both read a file written by the C++ writer.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/results/results_file.h"
#include "tests/results/results_test_util.h"

namespace wq {
namespace {

// The plot and table scripts run under the system Python, which has h5py and pandas.
constexpr const char* kPython = "/usr/bin/python3";

struct CommandResult {
  int status = -1;
  std::string output;
};

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), count);
  result.status = pclose(pipe);
  return result;
}

std::string python_skip_reason() {
  if (!std::ifstream(kPython).good()) return std::string(kPython) + " does not exist";
  const CommandResult probe = run_command(std::string(kPython) + " -c 'import h5py, pandas'");
  if (probe.status != 0) return std::string(kPython) + " lacks h5py or pandas: " + probe.output;
  return "";
}

// The first ```python block after the "python-snippet: tested" marker of the schema doc.
std::string snippet_from_doc() {
  std::ifstream doc(std::string(WQ_SOURCE_DIR) + "/docs/results-schema.md");
  std::stringstream text;
  text << doc.rdbuf();
  const std::string content = text.str();
  const size_t marker = content.find("<!-- python-snippet: tested -->");
  if (marker == std::string::npos) return "";
  const std::string fence = "```python\n";
  const size_t begin = content.find(fence, marker);
  const size_t end = content.find("```", begin + fence.size());
  if (begin == std::string::npos || end == std::string::npos) return "";
  return content.substr(begin + fence.size(), end - begin - fence.size());
}

// Two runs: a complete one with two samples and a failed one without samples or accuracy.
std::string write_example(const test::ScratchDir& dir) {
  const std::string path = dir.file("python.h5");
  ResultsFile file = ResultsFile::open_or_create(path, test::fixed_provenance("py_sweep"));
  file.commit_run(test::full_record("run_a", 1, 2));
  RunRecord failed = test::full_record("run_b", 2, 0);
  failed.status = RunStatus::Failed;
  failed.samples = SampleTable();
  failed.metrics = {{"bits_effective", 1.75}};
  file.commit_run(failed);
  return path;
}

TEST(PythonReader, DocSnippetPrintsTheWrittenValues) {
  const std::string skip = python_skip_reason();
  if (!skip.empty()) GTEST_SKIP() << skip;
  test::ScratchDir dir;
  const std::string path = write_example(dir);
  const std::string snippet = snippet_from_doc();
  ASSERT_FALSE(snippet.empty()) << "no tested snippet in docs/results-schema.md";
  const std::string script = dir.file("snippet.py");
  std::ofstream(script) << snippet;

  const CommandResult result = run_command(std::string(kPython) + " " + script + " " + path);
  ASSERT_EQ(result.status, 0) << result.output;
  std::istringstream lines(result.output);
  std::vector<std::string> printed;
  for (std::string line; std::getline(lines, line);) printed.push_back(line);
  ASSERT_EQ(printed.size(), 7u) << result.output;
  EXPECT_EQ(printed[0], "sweep py_sweep commit 0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(printed[1], "            name method   status  accuracy");
  EXPECT_EQ(printed[2], "kivi bits=2 run1   kivi complete     0.625");
  EXPECT_EQ(printed[3], "kivi bits=2 run2   kivi   failed       NaN");
  EXPECT_EQ(printed[4], " sample_id            task  t_decode_per_token_ms  correct          generated");
  EXPECT_EQ(printed[5], "    100000 action_sequence                   1.00        0 (B) r\xC3\xA9ponse 100000");
  EXPECT_EQ(printed[6], "    100001        counting                   1.25        1 (B) r\xC3\xA9ponse 100001");
}

TEST(PythonReader, WqResultsModuleReadsRunsSamplesAndArrays) {
  const std::string skip = python_skip_reason();
  if (!skip.empty()) GTEST_SKIP() << skip;
  test::ScratchDir dir;
  const std::string path = write_example(dir);
  const std::string script = dir.file("reader.py");
  std::ofstream(script) << "import sys\n"
                        << "sys.path.insert(0, '" << WQ_SOURCE_DIR << "/scripts')\n"
                        << "import wq_results as r\n"
                        << "p = sys.argv[1]\n"
                        << "runs = r.runs(p)\n"
                        << "print(list(runs.run_id), list(runs.status))\n"
                        << "print(runs.loc[0, 'accuracy/counting'], runs.loc[1, 'bits_effective'])\n"
                        << "print(runs.loc[0, 'config.method.bits'] + 1, runs.loc[0, 'config.method.name'])\n"
                        << "print(len(r.runs(p, status='complete')))\n"
                        << "s = r.samples(p)\n"
                        << "print(s.shape, list(s.columns[:3]), s.loc[1, 'generated'])\n"
                        << "print(list(r.arrays(p, 'run_a')['layer_error']))\n"
                        << "info = r.provenance(p)\n"
                        << "print(info['argv'], info['seed'], info['git_dirty'], info['schema_version'])\n";
  const CommandResult result = run_command(std::string(kPython) + " " + script + " " + path);
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(result.output,
            "['run_a', 'run_b'] ['complete', 'failed']\n"
            "0.75 1.75\n"
            "3 kivi\n"
            "1\n"
            "(2, 8) ['run_id', 'name', 'method'] (B) r\xC3\xA9ponse 100001\n"
            "[0.1, 0.2, 0.30000000000000004, 1.0]\n"
            "['wq', 'run', 'configs/test.yaml', 'method.bits=2'] 1234 1 1\n");
}

}  // namespace
}  // namespace wq
