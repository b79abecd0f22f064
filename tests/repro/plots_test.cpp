// The plot scripts on small results files made here: they draw when the file has what they
// need, and otherwise exit non-zero with a message that says what is missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

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
    // FP16, two methods, and a budget below windowquant's floor (2.03 bits here): a skipped run.
    write_file(dir_ + "/pareto.yaml",
               "name: pareto\n"
               "experiment: {kind: kv_fidelity, samples: 2, layers: 2, kv_heads: 2, q_heads: 4, head_dim: 64,\n"
               "             frames: 8, tokens_per_frame: 8, relevant_frames: 2}\n"
               "method: {name: fp16}\n"
               "sweep:\n"
               "  variants:\n"
               "    - {name: fp16, set: {method: {name: fp16}}}\n"
               "    - {name: uniform-2bit, set: {method: {name: uniform, bits: 2}}}\n"
               "    - {name: uniform-4bit, set: {method: {name: uniform, bits: 4}}}\n"
               "    - {name: windowquant-2.5, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 2.5, residual: 0}}}\n"
               "    - {name: windowquant-1.5, set: {method: {name: windowquant, bits: [4, 2, 1], budget_bits: 1.5, residual: 0}}}\n");
    ok_ = run_wq("run kv.yaml --out kv.h5", dir_).exit_code == 0 &&
          run_wq("run search.yaml --out search.h5", dir_).exit_code == 0 &&
          run_wq("run pareto.yaml --out pareto.h5", dir_).exit_code == 0;
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

  // Prints a Python expression over the JSON a plot script wrote with --describe (`d`; `a` is
  // its first axes).
  CommandResult describe_eval(const std::string& json, const std::string& expression) {
    return run_shell(python_ + " -c \"import json; d = json.load(open('" + json + "')); a = d['axes'][0]; print(" +
                         expression + ")\"",
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

// The quickstart's table: the requested budget beside the achieved effective bits ("-" for a
// method of fixed widths), and accuracy per task family after the overall accuracy.
TEST_F(PlotScripts, TableShowsTheBudgetAndEachFamily) {
  const auto metrics = make_table_eval(
      "t.choose_metrics(t.pd.DataFrame({'experiment': ['accuracy'], 'accuracy': [1.0], 'samples_failed': [0], "
      "'accuracy/needle': [1.0], 'accuracy/event_order': [0.5]}), None)");
  ASSERT_EQ(metrics.exit_code, 0) << metrics.output;
  EXPECT_EQ(metrics.output, "['accuracy', 'accuracy/event_order', 'accuracy/needle', 'samples_failed']\n");
  const auto table = make_table_eval(
      "t.render(t.pd.DataFrame({'run': ['fp16', 'u', 'w'], 'method': ['fp16', 'uniform', 'windowquant'], "
      "'config.method.budget_bits': [float('nan'), float('nan'), 2.5], 'bits_effective': [16.0, 3.1, 2.45], "
      "'accuracy': [0.9, 0.5, 0.7]}), ['accuracy'], 'markdown')");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output,
            "| run | method | budget | eff. bits | accuracy |\n"
            "|---|---|---|---|---|\n"
            "| fp16 | fp16 | - | 16 | 0.9 |\n"
            "| u | uniform | - | 3.1 | 0.5 |\n"
            "| w | windowquant | 2.5 | 2.45 | **0.7** |\n");
}

// Rows: FP16 first, then each method's runs with the numbers in their names compared as
// numbers (an efficiency table lists 16, 32, 64, 128 frames, not 128, 16, 32, 64).
TEST_F(PlotScripts, TableOrdersRunsNaturally) {
  const auto order = make_table_eval("sorted(['f=128', 'f=16', 'f=32', 'wq-3.0', 'wq-1.5'], key=t.natural_key)");
  ASSERT_EQ(order.exit_code, 0) << order.output;
  EXPECT_EQ(order.output, "['f=16', 'f=32', 'f=128', 'wq-1.5', 'wq-3.0']\n");
}

// A Pareto plot a reader can trust: linear axes, FP16 a labelled line at its value rather than
// a point at 16 bits that squeezes the quantized runs into the left edge, the quantized runs
// at their achieved bits, no point for a skipped run (it is named under the plot), and the
// sweep's name and sample count in the title.
TEST_F(PlotScripts, ParetoDrawsFp16AsAReferenceLine) {
  expect_figure(plot("pareto.py", "pareto.h5 --describe pareto.json"));
  EXPECT_EQ(describe_eval("pareto.json", "(a['xscale'], a['yscale'])").output, "('linear', 'linear')\n");
  EXPECT_EQ(describe_eval("pareto.json", "[(r['label'].split(':')[0], r['y']) for r in a['reference_lines']]").output,
            "[('FP16 (16 bits)', 0.0)]\n");
  EXPECT_EQ(describe_eval("pareto.json", "[(s['label'], len(s['x'])) for s in a['series']]").output,
            "[('uniform', 2), ('windowquant', 1)]\n");
  EXPECT_EQ(describe_eval("pareto.json", "max(x for s in a['series'] for x in s['x']) < 16").output, "True\n");
  EXPECT_EQ(describe_eval("pareto.json", "[n.split(' (')[0] for n in d['notes']]").output,
            "['not plotted: windowquant-1.5']\n");
  EXPECT_EQ(describe_eval("pareto.json", "repr(a['title'])").output,
            "'pareto: attn_out_rel_err vs effective bits\\n2 samples per run'\n");
  // On a log axis FP16's error of 0 has no place: said under the plot instead of drawn.
  expect_figure(plot("pareto.py", "pareto.h5 --log-y --describe pareto_log.json"));
  EXPECT_EQ(describe_eval("pareto_log.json", "(a['yscale'], a['reference_lines'])").output, "('log', [])\n");
  EXPECT_EQ(describe_eval("pareto_log.json", "'not drawn on a log axis' in d['notes'][0]").output, "True\n");
}

// No figure overwrites another: each script and each metric, key or axis choice of one
// script gets its own file.
TEST_F(PlotScripts, EveryFigureHasItsOwnFile) {
  const std::vector<std::pair<std::string, std::string>> figures = {
      {"pareto.py", "kv.h5"},
      {"pareto.py", "kv.h5 --metric attn_kl"},
      {"pareto.py", "kv.h5 --log-y"},
      {"ablation.py", "kv.h5 --x experiment.frames --lines seed"},
      {"ablation.py", "kv.h5 --x experiment.frames --lines seed --metric attn_kl"},
      {"ablation.py", "kv.h5 --x method.name --lines experiment.frames"},
      {"ablation.py", "kv.h5 --x method.name --lines seed"},
      {"latency_memory.py", "kv.h5"},
      {"latency_memory.py", "kv.h5 --latency t_quant_ms_mean"},
      {"search_cost.py", "search.h5"},
  };
  std::set<std::string> written;
  for (const auto& [script, args] : figures) {
    SCOPED_TRACE(script + " " + args);
    const auto result = plot(script, args);
    expect_figure(result);
    const std::string png = result.output.substr(0, result.output.find('\n'));
    EXPECT_TRUE(written.insert(png).second) << png << " is written by two of these commands";
  }
}

// A category axis (similarity functions, method names, true/false) gets unjoined markers: a
// line between two categories would suggest values in between. Numeric axes keep lines.
TEST_F(PlotScripts, CategoricalAxesAreNotJoinedByLines) {
  expect_figure(plot("ablation.py", "kv.h5 --x method.name --lines experiment.frames --describe categories.json"));
  EXPECT_EQ(describe_eval("categories.json", "(a['x_categorical'], sorted(a['xticklabels']))").output,
            "(True, ['fp16', 'kivi', 'token_mixed', 'uniform', 'windowquant'])\n");
  EXPECT_EQ(describe_eval("categories.json", "[(s['connected'], len(s['x'])) for s in a['series']]").output,
            "[(False, 10), (False, 10)]\n");
  expect_figure(plot("ablation.py", "kv.h5 --x experiment.frames --lines seed --describe numbers.json"));
  EXPECT_EQ(describe_eval("numbers.json", "(a['x_categorical'], [s['connected'] for s in a['series']])").output,
            "(False, [True, True])\n");
}

// Bold follows each metric's direction (one table of name rules); the FP16 reference rows
// do not compete; a column whose values all tie (every samples_failed 0) bolds nothing.
TEST_F(PlotScripts, TableBoldsByEachMetricsDirection) {
  const auto direction = make_table_eval(
      "[t.direction(m) for m in ('accuracy', 'accuracy/attribute_at_event', 'accuracy_answered', "
      "'compression_ratio', 'attn_out_rel_err', 'attn_kl', 't_search_ms/1024', 't_decode_per_token_ms_median', "
      "'peak_memory_bytes', 'kv_bytes', 'samples_failed', 'bits_effective', 'spearman_similarity_damage')]");
  ASSERT_EQ(direction.exit_code, 0) << direction.output;
  EXPECT_EQ(direction.output,
            "['higher', 'higher', 'higher', 'higher', 'lower', 'lower', 'lower', 'lower', 'lower', 'lower', "
            "'lower', 'lower', None]\n");
  const auto table = make_table_eval(
      "t.render(t.pd.DataFrame({'run': ['fp16', 'a', 'b', 'c'], 'method': ['fp16', 'x', 'x', 'y'], "
      "'kv_bytes': [9.0, 3.0, 1.0, 2.0], 'samples_failed': [0.0, 0.0, 0.0, 0.0], "
      "'accuracy': [0.9, 0.5, 0.7, 0.6]}), ['kv_bytes', 'samples_failed', 'accuracy'], 'markdown')");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output,
            "| run | method | kv_bytes | samples_failed | accuracy |\n"
            "|---|---|---|---|---|\n"
            "| fp16 | fp16 | 9 | 0 | 0.9 |\n"
            "| a | x | 3 | 0 | 0.5 |\n"
            "| b | x | **1** | 0 | **0.7** |\n"
            "| c | y | 2 | 0 | 0.6 |\n");
  // The kv_fidelity table: FP16's errors of 0 are not the bold ones.
  const auto kv = run_shell(python_ + " " + source_path("scripts/tables/make_table.py") + " kv.h5", dir_);
  ASSERT_EQ(kv.exit_code, 0) << kv.output;
  EXPECT_EQ(kv.output.find("| fp16/seed=0/experiment.frames=4 | fp16 | - | 16 | 0 | 0 | 0 | 0 |"),
            kv.output.find("| fp16/seed=0"))
      << kv.output;
  EXPECT_NE(kv.output.find("**"), std::string::npos) << kv.output;
}

// `python3 scripts/...` as the docs write it works where that python3 cannot import h5py:
// the script re-runs itself under one that can. Here the Python without the packages is the
// same interpreter with its site-packages off (-S).
TEST_F(PlotScripts, ScriptsFindAPythonThatHasTheirPackages) {
  const std::string make_table = source_path("scripts/tables/make_table.py");
  const auto table = run_shell(python_ + " -S " + make_table + " search.h5", dir_);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind("| run | method |", 0), 0u) << table.output;
  expect_figure(run_shell(python_ + " -S " + source_path("scripts/plots/pareto.py") + " kv.h5 -o figures", dir_));
  const auto reader = run_shell(python_ + " -S " + source_path("scripts/wq_results.py") + " search.h5", dir_);
  ASSERT_EQ(reader.exit_code, 0) << reader.output;
  EXPECT_EQ(reader.output.rfind("sweep search", 0), 0u) << reader.output;
  // Where no Python can (here: the re-run's guard already set), one line saying what to install.
  const auto none = run_shell("WQ_PYTHON_REEXEC=1 " + python_ + " -S " + make_table + " search.h5", dir_);
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.output.find("install python3-h5py"), std::string::npos) << none.output;
  EXPECT_EQ(std::count(none.output.begin(), none.output.end(), '\n'), 1) << none.output;
}

TEST_F(PlotScripts, WindowSizeNeedsSeveralWindowSizes) {
  // The tiny sweep has one windowquant window size only.
  const auto result = plot("window_size.py", "kv.h5");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("single value of 'method.window_size'"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace wq::repro
