// The plot scripts on small results files made here: they draw when the file has what they
// need, and otherwise exit non-zero with a message that says what is missing.
#include <gtest/gtest.h>

#include <filesystem>

#include "repro_util.h"

namespace wq::repro {
namespace {

namespace fs = std::filesystem;

class PlotScripts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    python_ = plotting_python();
    if (python_.empty()) return;
    dir_ = make_temp_dir("plots");
    write_file(dir_ + "/kv.yaml", tiny_kv_fidelity_config("kv") + "    experiment.frames: [4, 8]\n");
    write_file(dir_ + "/search.yaml",
               "name: search\n"
               "experiment: {kind: search_cost, layers: 1, kv_heads: 1, q_heads: 2, head_dim: 32,\n"
               "             tokens_per_frame: 16, visual_tokens: [64, 128, 256], repeats: 1}\n"
               "method: {name: fp16}\n"
               "sweep:\n"
               "  variants:\n"
               "    - {name: token_mixed, set: {method: {name: token_mixed, bits: [4, 2, 1], budget_bits: 5.0, group_size: 16, residual: 0}}}\n"
               "    - {name: windowquant, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 5.0, residual: 0}}}\n");
    ok_ = run_wq("run kv.yaml --out kv.h5", dir_).exit_code == 0 &&
          run_wq("run search.yaml --out search.h5", dir_).exit_code == 0;
  }

  void SetUp() override {
    if (python_.empty()) GTEST_SKIP() << "no Python with h5py, pandas and matplotlib";
    ASSERT_TRUE(ok_) << "could not make the results files in " << dir_;
  }

  // Prints a Python expression over make_table's functions (module `t`).
  CommandResult make_table_eval(const std::string& expression) {
    return run_shell(python_ + " -c \"import sys; sys.path.insert(0, '" + source_path("scripts/tables") +
                         "'); import make_table as t; print(" + expression + ")\"",
                     dir_);
  }

  CommandResult plot(const std::string& script, const std::string& args) {
    return run_shell(python_ + " " + source_path("scripts/plots/" + script) + " " + args + " -o figures", dir_);
  }

  // The script printed a PNG path, and the PDF beside it exists too.
  void expect_figure(const CommandResult& result) {
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const std::string png = dir_ + "/" + result.output.substr(0, result.output.find('\n'));
    ASSERT_TRUE(fs::exists(png)) << result.output;
    EXPECT_GT(fs::file_size(png), 10000u);  // a drawn figure, not an empty canvas
    EXPECT_TRUE(fs::exists(png.substr(0, png.size() - 4) + ".pdf"));
  }

  static std::string python_, dir_;
  static bool ok_;
};
std::string PlotScripts::python_, PlotScripts::dir_;
bool PlotScripts::ok_ = false;

TEST_F(PlotScripts, SearchCostPlotsSearchCostRuns) { expect_figure(plot("search_cost.py", "search.h5")); }

TEST_F(PlotScripts, SearchCostSaysWhatAKvFidelityFileLacks) {
  const auto result = plot("search_cost.py", "kv.h5");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("no t_search_ms/<tokens> metrics"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("search_cost experiment"), std::string::npos) << result.output;
}

TEST_F(PlotScripts, LatencyMemoryOverFrames) {
  expect_figure(plot("latency_memory.py", "kv.h5"));
  const auto result = plot("latency_memory.py", "search.h5");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("needs runs at two or more values of dataset.num_frames or experiment.frames"), std::string::npos)
      << result.output;
  const auto timing = plot("latency_memory.py", "kv.h5 --latency t_decode_ms");
  EXPECT_NE(timing.exit_code, 0);
  EXPECT_NE(timing.output.find("lacks timing metric(s) ['t_decode_ms']"), std::string::npos) << timing.output;
}

TEST_F(PlotScripts, AblationOverANumericAndACategoricalKey) {
  expect_figure(plot("ablation.py", "kv.h5 --x experiment.frames --lines seed"));
  expect_figure(plot("ablation.py", "kv.h5 --x method.name --lines experiment.frames"));
  const auto missing = plot("ablation.py", "kv.h5 --x method.window_sise");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("has no config key 'method.window_sise'"), std::string::npos) << missing.output;
}

// Bold marks the best of each column: the smallest time or error, the largest accuracy (a
// task name with "t_" in it, attribute_at_event, once made a column lower-is-better).
TEST_F(PlotScripts, TableBoldsTheBestOfEachColumn) {
  const auto direction = make_table_eval(
      "[t.lower_is_better(m) for m in ('t_search_ms/1024', 't_quant_ms_mean', 'attn_kl', 'kv_bytes', "
      "'accuracy', 'accuracy/attribute_at_event')]");
  ASSERT_EQ(direction.exit_code, 0) << direction.output;
  EXPECT_EQ(direction.output, "[True, True, True, True, False, False]\n");
  const auto table = run_shell(python_ + " " + source_path("scripts/tables/make_table.py") + " search.h5", dir_);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("**"), std::string::npos) << table.output;
}

// Rows: FP16 first, then each method's runs with the numbers in their names compared as
// numbers (an efficiency table lists 16, 32, 64, 128 frames, not 128, 16, 32, 64).
TEST_F(PlotScripts, TableOrdersRunsNaturally) {
  const auto order = make_table_eval("sorted(['f=128', 'f=16', 'f=32', 'wq-3.0', 'wq-1.5'], key=t.natural_key)");
  ASSERT_EQ(order.exit_code, 0) << order.output;
  EXPECT_EQ(order.output, "['f=16', 'f=32', 'f=128', 'wq-1.5', 'wq-3.0']\n");
}

TEST_F(PlotScripts, WindowSizeNeedsSeveralWindowSizes) {
  // The tiny sweep has one windowquant window size only.
  const auto result = plot("window_size.py", "kv.h5");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("single value of 'method.window_size'"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace wq::repro
