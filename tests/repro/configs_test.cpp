// Every config under configs/paper/ and configs/ablations/ (top level; base/ holds
// includes, not sweeps) validates, runs end to end at CI size, and the table and plot
// commands named in its `# report:` lines run on the results. The same lines are what
// docs/reproducing.md tells a reader to run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "core/config/load_sweep.h"
#include "core/results/results_file.h"
#include "repro_util.h"

namespace wq::repro {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> runnable_configs() {
  std::vector<std::string> files;
  for (const char* folder : {"configs/paper", "configs/ablations"})
    for (const auto& entry : fs::directory_iterator(source_path(folder)))
      if (entry.is_regular_file() && entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// "# report: scripts/plots/x.py {results} -o {out}" -> "scripts/plots/x.py {results} -o {out}"
std::vector<std::string> report_commands(const std::string& config_file) {
  std::vector<std::string> commands;
  std::istringstream lines(read_file(config_file));
  const std::string marker = "# report: ";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(marker, 0) == 0) commands.push_back(line.substr(marker.size()));
  return commands;
}

std::string substitute(std::string text, const std::string& key, const std::string& value) {
  for (size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
  return text;
}

// CI size per experiment kind. An override of a swept key would pin (drop) that axis, so
// keys the sweep varies are left alone: the plot over that axis still gets its points.
std::vector<std::string> ci_overrides(const Sweep& sweep) {
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_kind = {
      {"search_cost", {{"experiment.visual_tokens", "[256,512]"}, {"experiment.repeats", "1"},
                       {"experiment.layers", "2"}}},
      // The proxy on a few generated questions (the default data of every accuracy config).
      {"accuracy", {{"dataset.max_samples", "4"}, {"dataset.generate.questions_per_task", "2"},
                    {"dataset.generate.frames_min", "32"}, {"dataset.generate.frames_max", "32"}}},
      // The proxy on two in-memory questions: 2 x 16 one-frame windows per run.
      {"sensitivity", {{"dataset.max_samples", "2"}, {"dataset.questions_per_task", "1"}}},
  };
  const std::string kind = sweep.runs.front().config["experiment"]["kind"].as<std::string>();
  const auto found = by_kind.find(kind);
  if (found == by_kind.end()) return {};
  const YAML::Node grid = sweep.config["sweep"] ? sweep.config["sweep"]["grid"] : YAML::Node();
  std::vector<std::string> overrides;
  for (const auto& [key, value] : found->second)
    if (!grid || !grid[key]) overrides.push_back(key + "=" + value);
  return overrides;
}

TEST(PaperConfigs, ThereAreConfigsToTest) {
  const auto files = runnable_configs();
  EXPECT_GE(files.size(), 8u);  // search_cost, efficiency, six ablations at least
  for (const auto& file : files) EXPECT_FALSE(report_commands(file).empty()) << file << " has no # report: line";
}

TEST(PaperConfigs, EveryConfigValidatesRunsAndReports) {
  const std::string python = plotting_python();
  const std::string dir = make_temp_dir("configs");
  for (const auto& file : runnable_configs()) {
    SCOPED_TRACE(file);
    Sweep sweep;
    ASSERT_NO_THROW(sweep = load_sweep(file, {}));
    ASSERT_FALSE(sweep.runs.empty());
    const auto overrides = ci_overrides(sweep);
    std::string args;
    for (const auto& item : overrides) args += " '" + item + "'";
    const std::string results = dir + "/" + sweep.name + ".h5";
    const auto ran = run_wq("run '" + file + "'" + args + " --out '" + results + "'", dir);
    ASSERT_EQ(ran.exit_code, 0) << ran.output;
    const auto runs = ResultsFile::open_existing(results).read_runs(ReadDepth::Summary);
    EXPECT_EQ(runs.size(), load_sweep(file, overrides).runs.size());
    // On the proxy (head dim 32: a group's scale and minimum cost a bit per element) some
    // budgets lie below a method's floor: those runs are skipped and say so, never run at
    // the floor under the budget's name; the rest complete.
    size_t complete = 0;
    for (const auto& run : runs) {
      if (run.status == RunStatus::Skipped) {
        EXPECT_NE(run.error.find("'s floor of "), std::string::npos) << run.name << ": " << run.error;
        continue;
      }
      EXPECT_EQ(run.status, RunStatus::Complete) << run.name << ": " << run.error;
      ++complete;
    }
    EXPECT_GT(complete, 0u);

    if (python.empty()) continue;  // reported once below
    for (const auto& command : report_commands(file)) {
      const std::string out = dir + "/figures-" + sweep.name;
      const std::string line =
          python + " " + source_path(substitute(substitute(command, "{results}", results), "{out}", out));
      const auto reported = run_shell(line, source_path(""));
      EXPECT_EQ(reported.exit_code, 0) << line << "\n" << reported.output;
      if (command.rfind("scripts/plots/", 0) == 0) {
        const std::string png = reported.output.substr(0, reported.output.find('\n'));
        EXPECT_TRUE(fs::exists(png)) << line << " printed '" << png << "'";
        EXPECT_TRUE(fs::exists(png.substr(0, png.size() - 4) + ".pdf")) << png;
      } else {
        EXPECT_NE(reported.output.find('|'), std::string::npos) << "no table from " << line << "\n" << reported.output;
      }
    }
  }
  if (python.empty()) GTEST_SKIP() << "configs ran; table/plot scripts not run: no Python with h5py, pandas and matplotlib "
                                      "(Debian: apt-get install python3-h5py python3-pandas python3-matplotlib)";
}

}  // namespace
}  // namespace wq::repro
