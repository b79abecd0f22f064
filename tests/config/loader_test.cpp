// Includes (`defaults:`), deep merging, command-line overrides and the load-time errors.
#include <gtest/gtest.h>

#include "config_test_util.h"
#include "core/config/loader.h"

namespace wq::config_test {
namespace {

TEST(LoaderTest, DefaultsAreDeepMergedAndTheIncludingFileWins) {
  TempDir dir;
  dir.write("base/experiment.yaml", "experiment: {kind: accuracy, max_new_tokens: 4}\nseed: 1\n");
  dir.write("base/method.yaml", "method:\n  name: kivi\n  bits: 2\n  group_size: 64\nseed: 2\n");
  const std::string top = dir.write("sweeps/top.yaml",
                                    "defaults: [../base/experiment.yaml, ../base/method.yaml]\n"
                                    "method:\n  bits: 4\n");
  const LoadedConfig loaded = load_config_file(top);
  EXPECT_EQ(loaded.root["method"]["name"].as<std::string>(), "kivi");
  EXPECT_EQ(loaded.root["method"]["bits"].as<int>(), 4);
  EXPECT_EQ(loaded.root["method"]["group_size"].as<int>(), 64);
  EXPECT_EQ(loaded.root["experiment"]["max_new_tokens"].as<int>(), 4);
  // Later defaults win over earlier ones.
  EXPECT_EQ(loaded.root["seed"].as<int>(), 2);
  EXPECT_FALSE(loaded.root["defaults"].IsDefined());
  // Origins name the file each value came from, as it would be written from the top file.
  EXPECT_EQ(loaded.sources.find("method.bits"), top + ":3");
  EXPECT_EQ(loaded.sources.find("method.group_size"), dir.path() + "/base/method.yaml:4");
  EXPECT_EQ(loaded.sources.find("experiment.kind"), dir.path() + "/base/experiment.yaml:1");
}

TEST(LoaderTest, ChangingASectionsSelectorReplacesTheSection) {
  TempDir dir;
  dir.write("kivi.yaml", "method: {name: kivi, bits: 2, group_size: 64}\n");
  const std::string top = dir.write("top.yaml", "defaults: kivi.yaml\nmethod: {name: windowquant, budget: 3}\n");
  const LoadedConfig loaded = load_config_file(top);
  EXPECT_EQ(loaded.root["method"].size(), 2u);
  EXPECT_FALSE(loaded.root["method"]["bits"].IsDefined());
  EXPECT_EQ(loaded.root["method"]["budget"].as<int>(), 3);
}

TEST(LoaderTest, NestedIncludesResolveRelativeToTheIncludingFile) {
  TempDir dir;
  dir.write("a/b/leaf.yaml", "method: {name: kivi, bits: 3}\n");
  dir.write("a/mid.yaml", "defaults: b/leaf.yaml\nseed: 5\n");
  const LoadedConfig loaded = load_config_file(dir.write("top.yaml", "defaults: a/mid.yaml\n"));
  EXPECT_EQ(loaded.root["method"]["bits"].as<int>(), 3);
  EXPECT_EQ(loaded.root["seed"].as<int>(), 5);
}

TEST(LoaderTest, DiamondIncludesAreNotCycles) {
  TempDir dir;
  dir.write("common.yaml", "seed: 9\n");
  dir.write("left.yaml", "defaults: common.yaml\n");
  dir.write("right.yaml", "defaults: common.yaml\n");
  const LoadedConfig loaded = load_config_file(dir.write("top.yaml", "defaults: [left.yaml, right.yaml]\n"));
  EXPECT_EQ(loaded.root["seed"].as<int>(), 9);
}

TEST(LoaderTest, IncludeCycleNamesTheChain) {
  TempDir dir;
  dir.write("a.yaml", "defaults: b.yaml\n");
  dir.write("b.yaml", "defaults: a.yaml\n");
  const std::string a = dir.path() + "/a.yaml";
  try {
    load_config_file(a);
    FAIL() << "cycle not detected";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.messages().size(), 1u);
    EXPECT_EQ(error.messages()[0], dir.path() + "/b.yaml:1: defaults: include cycle: " + a + " -> " + dir.path() +
                                       "/b.yaml -> " + a);
  }
}

TEST(LoaderTest, SelfIncludeIsACycle) {
  TempDir dir;
  EXPECT_THROW(load_config_file(dir.write("a.yaml", "defaults: a.yaml\n")), ConfigError);
}

TEST(LoaderTest, MissingIncludeNamesTheIncludingLine) {
  TempDir dir;
  const std::string top = dir.write("top.yaml", "seed: 1\ndefaults:\n  - nope.yaml\n");
  const auto errors = load_errors(top);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(has_error(errors, {top + ":3: cannot find config file", "nope.yaml"})) << errors[0];
}

TEST(LoaderTest, BadDefaultsValue) {
  TempDir dir;
  const auto errors = load_errors(dir.write("top.yaml", "defaults: {a: 1}\n"));
  EXPECT_TRUE(has_error(errors, {"top.yaml:1: defaults: expected a file path or a list of file paths"}));
}

TEST(LoaderTest, SyntaxErrorReportsTheLine) {
  TempDir dir;
  const auto errors = load_errors(dir.write("bad.yaml", "seed: 1\nmethod: [unclosed\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(has_error(errors, {"bad.yaml:", "YAML syntax"})) << errors[0];
}

TEST(LoaderTest, TopLevelMustBeAMap) {
  TempDir dir;
  EXPECT_TRUE(has_error(load_errors(dir.write("list.yaml", "- 1\n- 2\n")), {"list.yaml: a config file must be a map"}));
}

TEST(LoaderTest, DuplicateKeysAreErrors) {
  TempDir dir;
  const auto errors = load_errors(dir.write("dup.yaml", "seed: 1\nseed: 2\n"));
  EXPECT_TRUE(has_error(errors, {"dup.yaml:2: seed: key written twice"})) << ::testing::PrintToString(errors);
}

TEST(LoaderTest, MissingFile) {
  EXPECT_TRUE(has_error(load_errors("/nonexistent/wq.yaml"), {"cannot find config file '/nonexistent/wq.yaml'"}));
}

TEST(LoaderTest, NonRegularFilesAreRefused) {
  TempDir dir;
  EXPECT_TRUE(has_error(load_errors(dir.write("top.yaml", "defaults: /dev/zero\n")), {"is not a regular file"}));
}

TEST(LoaderTest, OverridesSetDottedKeysAndWinOverTheFile) {
  TempDir dir;
  dir.write("w/config.json", "{}");
  const std::string path = dir.write("c.yaml", "experiment: {kind: accuracy}\nmethod: {name: kivi, bits: 4}\n");
  const Sweep sweep =
      load_sweep(path, {"method.bits=2", "model={name: proxy, path: w}", "seed=3", "name=quick"}, test_options());
  ASSERT_EQ(sweep.runs.size(), 1u);
  const YAML::Node& config = sweep.runs[0].config;
  EXPECT_EQ(config["method"]["bits"].as<int>(), 2);
  EXPECT_EQ(config["model"]["name"].as<std::string>(), "proxy");
  EXPECT_EQ(config["seed"].as<int>(), 3);
  EXPECT_EQ(sweep.name, "quick");
  EXPECT_EQ(sweep.output, "results/quick.h5");
  EXPECT_EQ(sweep.runs[0].sources->find("method.bits"), "<command line>");
  EXPECT_EQ(sweep.runs[0].sources->find("model.path"), "<command line>");
}

TEST(LoaderTest, OverrideOfASelectorStartsTheSectionAfresh) {
  TempDir dir;
  const std::string path = dir.write("c.yaml", "experiment: {kind: accuracy}\nmethod: {name: kivi, bits: 4}\n");
  // Order on the command line does not matter: the selector is applied first.
  const Sweep sweep = load_sweep(path, {"method.budget=3", "method.name=windowquant"}, test_options());
  const YAML::Node& method = sweep.runs[0].config["method"];
  EXPECT_FALSE(method["bits"].IsDefined());
  EXPECT_EQ(method["budget"].Scalar(), "3");
}

TEST(LoaderTest, MalformedOverridesAreAllReported) {
  try {
    parse_overrides({"method.bits", "a..b=1", "x=[1", "=3", "ok=1"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    ASSERT_EQ(error.messages().size(), 4u);
    EXPECT_EQ(error.messages()[0], "<command line>: method.bits: an override is written key=value, e.g. method.bits=2");
    EXPECT_EQ(error.messages()[1], "<command line>: a..b: not a dotted key (empty component)");
    EXPECT_TRUE(has_error(error.messages(), {"<command line>: x: value is not valid YAML"}));
  }
}

TEST(LoaderTest, OverrideOfAGridAxisKeepsTheDottedKeyWhole) {
  const auto overrides = parse_overrides({"sweep.grid.method.bits=[2, 3]"});
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].path, (std::vector<std::string>{"sweep", "grid", "method.bits"}));
  EXPECT_EQ(overrides[0].value.size(), 2u);
}

TEST(LoaderTest, OverrideErrorsPointAtTheCommandLine) {
  TempDir dir;
  const auto errors = load_errors(dir.write("c.yaml", "experiment: {kind: accuracy}\nmethod: {name: kivi}\n"),
                                  {"method.bits=99"});
  EXPECT_TRUE(has_error(errors, {"<command line>: method.bits: 99 is out of range"})) << ::testing::PrintToString(errors);
}

}  // namespace
}  // namespace wq::config_test
