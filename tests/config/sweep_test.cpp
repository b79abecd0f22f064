// Sweep expansion: grid, zip, variants, max_samples, overrides of swept keys, the run cap,
// names, ids and shards.
#include <gtest/gtest.h>

#include <set>

#include "config_test_util.h"
#include "core/config/yaml_tree.h"

namespace wq::config_test {
namespace {

std::vector<std::string> names_of(const Sweep& sweep) {
  std::vector<std::string> names;
  for (const auto& run : sweep.runs) names.push_back(run.name);
  return names;
}

Sweep load_text(const TempDir& dir, const std::string& text, const std::vector<std::string>& overrides = {},
                size_t max_runs = kDefaultMaxRuns) {
  return load_sweep(dir.write("s.yaml", text), overrides, test_options(max_runs));
}

const char* kBase = "experiment: {kind: accuracy}\nmethod: {name: kivi}\n";

TEST(SweepTest, GridIsACartesianProductInWrittenKeyOrder) {
  TempDir dir;
  const Sweep sweep = load_text(dir, std::string(kBase) +
                                         "sweep:\n  grid:\n    method.bits: [2, 4]\n    method.group_size: [32, 64, 128]\n");
  EXPECT_EQ(names_of(sweep), (std::vector<std::string>{
                                 "method.bits=2/method.group_size=32", "method.bits=2/method.group_size=64",
                                 "method.bits=2/method.group_size=128", "method.bits=4/method.group_size=32",
                                 "method.bits=4/method.group_size=64", "method.bits=4/method.group_size=128"}));
  EXPECT_EQ(sweep.runs[5].config["method"]["bits"].as<int>(), 4);
  EXPECT_EQ(sweep.runs[5].config["method"]["group_size"].as<int>(), 128);
  EXPECT_FALSE(sweep.runs[0].config["sweep"].IsDefined());
  // The origin of a swept value is the line of that list.
  EXPECT_EQ(sweep.runs[5].sources->find("method.group_size"), dir.path() + "/s.yaml:6");
}

TEST(SweepTest, ZipGroupsVaryTogether) {
  TempDir dir;
  const Sweep sweep = load_text(dir, std::string(kBase) +
                                         "sweep:\n  grid: {seed: [0, 1]}\n"
                                         "  zip:\n    - {method.bits: [2, 4, 8], method.group_size: [16, 32, 64]}\n");
  ASSERT_EQ(sweep.runs.size(), 6u);
  EXPECT_EQ(sweep.runs[2].name, "seed=0/method.bits=8/method.group_size=64");
  EXPECT_EQ(sweep.runs[3].name, "seed=1/method.bits=2/method.group_size=16");
  for (const auto& run : sweep.runs)
    EXPECT_EQ(run.config["method"]["group_size"].as<int>(), 8 * run.config["method"]["bits"].as<int>());
}

TEST(SweepTest, ZipGroupsOfUnequalLengthAreErrors) {
  TempDir dir;
  const auto errors = load_errors(dir.write("s.yaml", std::string(kBase) +
                                                          "sweep:\n  zip:\n    - {method.bits: [2, 4], method.group_size: [16]}\n"));
  EXPECT_TRUE(has_error(errors, {"s.yaml:5: sweep.zip[0]: lists of a zip group must have equal lengths (method.bits: 2, method.group_size: 1)"}))
      << ::testing::PrintToString(errors);
}

TEST(SweepTest, VariantsSetKeysOrReplaceWholeSections) {
  TempDir dir;
  const Sweep sweep = load_text(dir, "experiment: {kind: accuracy}\nmethod: {name: kivi, bits: 4, group_size: 64}\n"
                                     "sweep:\n"
                                     "  variants:\n"
                                     "    - {name: kivi-2bit, set: {method.bits: 2}}\n"
                                     "    - {name: wq, set: {method: {name: windowquant, budget: 3}}}\n"
                                     "    - name: wq-fft\n"
                                     "      set: {method.transform: fft, method.name: windowquant}\n"
                                     "  grid: {seed: [0, 1]}\n");
  EXPECT_EQ(names_of(sweep), (std::vector<std::string>{"kivi-2bit/seed=0", "kivi-2bit/seed=1", "wq/seed=0", "wq/seed=1",
                                                        "wq-fft/seed=0", "wq-fft/seed=1"}));
  const YAML::Node kivi = sweep.runs[0].config["method"];
  EXPECT_EQ(kivi["bits"].as<int>(), 2);
  EXPECT_EQ(kivi["group_size"].as<int>(), 64);  // merged: kept from the base
  const YAML::Node wq = sweep.runs[2].config["method"];
  EXPECT_EQ(wq["name"].as<std::string>(), "windowquant");
  EXPECT_FALSE(wq["group_size"].IsDefined());  // replaced: nothing of kivi left
  EXPECT_EQ(wq["budget"].as<int>(), 3);
  // The selector is applied before the other keys of the set, whatever their written order.
  EXPECT_EQ(sweep.runs[4].config["method"]["transform"].as<std::string>(), "fft");
  EXPECT_EQ(sweep.runs[2].sources->find("method.budget"), dir.path() + "/s.yaml:6");
}

TEST(SweepTest, BadVariantsAreAllReported) {
  TempDir dir;
  const auto errors = load_errors(dir.write("s.yaml", std::string(kBase) +
                                                          "sweep:\n  variants:\n"
                                                          "    - {set: {method.bits: 2}}\n"
                                                          "    - {name: a, sett: {}}\n"
                                                          "    - {name: a, set: {name: x}}\n"
                                                          "    - {name: b, set: 3}\n"));
  EXPECT_TRUE(has_error(errors, {"s.yaml:5: sweep.variants[0].name: every variant needs a name"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"s.yaml:6: sweep.variants[1].sett: unknown key (did you mean 'set'?)"}));
  EXPECT_TRUE(has_error(errors, {"sweep.variants[2].name: variant name 'a' used twice"}));
  EXPECT_TRUE(has_error(errors, {"sweep.variants[2].set.name: cannot sweep 'name'"}));
  EXPECT_TRUE(has_error(errors, {"sweep.variants[3].set: expected a map"}));
}

TEST(SweepTest, BadAxesAreReported) {
  TempDir dir;
  const auto errors = load_errors(dir.write("s.yaml", std::string(kBase) +
                                                          "sweep:\n  grid:\n    method.bits: 2\n    output: [a, b]\n"
                                                          "    method.group_size: []\n"
                                                          "  zip:\n    - {method.group_size: [1]}\n"
                                                          "  gird: {}\n"));
  EXPECT_TRUE(has_error(errors, {"s.yaml:5: sweep.grid.method.bits: got a single value (expected a non-empty list of values)"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"sweep.grid.output: cannot sweep 'output'"}));
  EXPECT_TRUE(has_error(errors, {"sweep.grid.method.group_size: empty list gives no runs"}));
  EXPECT_TRUE(has_error(errors, {"sweep.zip[0].method.group_size: key is swept twice"}));
  EXPECT_TRUE(has_error(errors, {"sweep.gird: unknown key (did you mean 'grid'?)"}));
}

TEST(SweepTest, TooManyRunsIsAClearErrorBeforeExpansion) {
  TempDir dir;
  std::string text = std::string(kBase) + "sweep:\n  grid:\n";
  // 1000^4 = 10^12 combinations: must be refused without building any of them.
  std::string values = "[0";
  for (int v = 1; v < 1000; ++v) values += ", " + std::to_string(v);
  values += "]";
  for (const char* key : {"seed", "method.bits", "method.group_size", "experiment.max_new_tokens"})
    text += std::string("    ") + key + ": " + values + "\n";
  const auto errors = load_errors(dir.write("s.yaml", text));
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"s.yaml:3: sweep: expands to more than 100000 runs"}));
  // A lower cap from the caller is honoured too.
  EXPECT_THROW(load_text(dir, std::string(kBase) + "sweep: {grid: {seed: [1, 2, 3]}}\n", {}, 2), ConfigError);
}

TEST(SweepTest, MaxSamplesIsCopiedIntoEveryRunWithADataset) {
  TempDir dir;
  const Sweep sweep = load_text(dir, "experiment: {kind: accuracy}\ndataset: {name: synthetic, max_samples: 500}\n"
                                     "sweep: {max_samples: 20, grid: {seed: [0, 1]}}\n");
  for (const auto& run : sweep.runs) EXPECT_EQ(run.config["dataset"]["max_samples"].as<int>(), 20);
  // A run without a dataset section is left alone.
  const Sweep no_dataset = load_text(dir, std::string(kBase) + "sweep: {max_samples: 20}\n");
  EXPECT_FALSE(no_dataset.runs[0].config["dataset"].IsDefined());
  // A dataset without the parameter gets the usual unknown-key error, pointing at the sweep.
  const auto errors = load_errors(dir.write("p.yaml", "experiment: {kind: accuracy}\ndataset: {name: plain}\nsweep: {max_samples: 5}\n"));
  EXPECT_TRUE(has_error(errors, {"p.yaml:3: dataset.max_samples: unknown key"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(load_errors(dir.write("z.yaml", std::string(kBase) + "sweep: {max_samples: 0}\n")),
                        {"sweep.max_samples: got '0' (expected int >= 1)"}));
}

TEST(SweepTest, OverrideOfASweptKeyPinsTheAxis) {
  TempDir dir;
  const std::string text = std::string(kBase) + "sweep:\n  grid: {method.bits: [2, 4], seed: [0, 1]}\n";
  const Sweep sweep = load_text(dir, text, {"method.bits=8"});
  EXPECT_EQ(names_of(sweep), (std::vector<std::string>{"seed=0", "seed=1"}));
  for (const auto& run : sweep.runs) EXPECT_EQ(run.config["method"]["bits"].as<int>(), 8);
  // A grid axis can also be replaced from the command line.
  const Sweep replaced = load_text(dir, text, {"sweep.grid.method.bits=[3]"});
  EXPECT_EQ(names_of(replaced), (std::vector<std::string>{"method.bits=3/seed=0", "method.bits=3/seed=1"}));
}

TEST(SweepTest, IdenticalRunsAreDroppedWithANote) {
  TempDir dir;
  // bits=2 written twice gives two identical configs.
  const Sweep sweep = load_text(dir, std::string(kBase) + "sweep: {grid: {method.bits: [2, 2, 3]}}\n");
  ASSERT_EQ(sweep.runs.size(), 2u);
  ASSERT_EQ(sweep.notes.size(), 1u);
  EXPECT_NE(sweep.notes[0].find("run 'method.bits=2' is identical"), std::string::npos);
}

TEST(SweepTest, RunIdsAreStableAndIgnoreSpellingOrderAndNames) {
  TempDir dir;
  const Sweep a = load_text(dir, "name: a\nexperiment: {kind: accuracy}\nmethod: {name: kivi, bits: 2, group_size: 32}\n");
  const Sweep b = load_text(dir, "method: {group_size: 0x20, name: kivi, bits: +2}\ndescription: other\n"
                                 "experiment: {kind: accuracy}\nname: b\noutput: x.h5\n");
  ASSERT_EQ(a.runs.size(), 1u);
  EXPECT_EQ(a.runs[0].id, b.runs[0].id);
  EXPECT_EQ(a.runs[0].id.size(), 16u);
  // Explicitly writing a default gives the same run as leaving it out.
  const Sweep c = load_text(dir, kBase);
  EXPECT_EQ(a.runs[0].id, c.runs[0].id);
  const Sweep d = load_text(dir, std::string(kBase) + "seed: 1\n");
  EXPECT_NE(a.runs[0].id, d.runs[0].id);
  // Golden value: the hash must not change between versions, or --resume would redo work.
  EXPECT_EQ(a.runs[0].id, run_id(a.runs[0].config));
  EXPECT_EQ(run_id(YAML::Load("{b: 1, a: [x, 2.50]}")), hex64(fnv1a_64("{a: [x, 2.5], b: 1}")));
  EXPECT_EQ(hex64(fnv1a_64("")), "cbf29ce484222325");
  EXPECT_EQ(hex64(fnv1a_64("a")), "af63dc4c8601ec8c");
}

TEST(SweepTest, RunIdsAreUniqueAcrossAGrid) {
  TempDir dir;
  const Sweep sweep = load_text(dir, std::string(kBase) + "sweep: {grid: {method.bits: [1, 2, 3, 4], seed: [0, 1, 2]}}\n");
  std::set<std::string> ids;
  for (const auto& run : sweep.runs) ids.insert(run.id);
  EXPECT_EQ(ids.size(), 12u);
}

TEST(SweepTest, ShardsSplitRunsByPositionModuloCount) {
  TempDir dir;
  const Sweep sweep = load_text(dir, std::string(kBase) + "sweep: {grid: {seed: [0, 1, 2, 3, 4, 5, 6]}}\n");
  const Shard shard = parse_shard("1/3");
  EXPECT_EQ(shard.index, 1u);
  EXPECT_EQ(shard.count, 3u);
  const auto selected = select_shard(sweep.runs, shard);
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].name, "seed=1");
  EXPECT_EQ(selected[1].name, "seed=4");
  size_t total = 0;
  for (size_t i = 0; i < 3; ++i) total += select_shard(sweep.runs, {i, 3}).size();
  EXPECT_EQ(total, sweep.runs.size());
  for (const char* bad : {"3/3", "-1/2", "1", "a/b", "0/0", "1/2/3"}) EXPECT_THROW(parse_shard(bad), ConfigError) << bad;
}

TEST(SweepTest, WithoutSweepTheRunIsNamedAfterTheConfig) {
  TempDir dir;
  const Sweep sweep = load_text(dir, kBase);
  ASSERT_EQ(sweep.runs.size(), 1u);
  EXPECT_EQ(sweep.runs[0].name, "s");
}

}  // namespace
}  // namespace wq::config_test
