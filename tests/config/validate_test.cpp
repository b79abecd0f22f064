// One test per kind of bad input: each checks that the error names the file, the line, the
// dotted key, and what was expected, and that every error of a config comes back at once.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "config_test_util.h"

namespace wq::config_test {
namespace {

const char* kGood = R"(experiment: {kind: accuracy}
method:
  name: kivi
  bits: 4
model:
  name: proxy
  path: weights
dataset:
  name: synthetic
)";

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override { dir.write("weights/config.json", "{}"); }
  std::string write(const std::string& text) { return dir.write("c.yaml", text); }
  TempDir dir;
};

TEST_F(ValidateTest, GoodConfigLoadsWithDefaultsFilled) {
  const Sweep sweep = load_sweep(write(kGood), {}, test_options());
  ASSERT_EQ(sweep.runs.size(), 1u);
  const YAML::Node& config = sweep.runs[0].config;
  EXPECT_EQ(config["method"]["bits"].as<int>(), 4);
  EXPECT_EQ(config["method"]["group_size"].as<int>(), 32);
  EXPECT_EQ(config["method"]["axis"].as<std::string>(), "tokens");
  EXPECT_EQ(config["experiment"]["max_new_tokens"].as<int>(), 8);
  EXPECT_EQ(config["seed"].as<int>(), 0);
  EXPECT_EQ(config["device"].as<std::string>(), "cpu");
  EXPECT_EQ(config["dataset"]["max_samples"].as<int>(), 0);
  EXPECT_TRUE(config["dataset"]["root"].IsNull());
  EXPECT_EQ(sweep.name, "c");
  EXPECT_EQ(sweep.output, "results/c.h5");
  EXPECT_EQ(sweep.runs[0].sources->find("method.group_size"), "<default>");
  EXPECT_EQ(sweep.runs[0].sources->find("method.bits"), dir.path() + "/c.yaml:4");
}

TEST_F(ValidateTest, UnknownKeyInSectionSuggestsClosest) {
  const auto errors = load_errors(write(std::string(kGood) + "  bist: 3\n"), {});
  // "bist: 3" was appended under dataset (the last section); it is a dataset key.
  EXPECT_TRUE(has_error(errors, {"c.yaml:10: dataset.bist: unknown key", "expected one of: root, max_samples, tasks"}))
      << ::testing::PrintToString(errors);
  const auto method_errors = load_errors(write("experiment: {kind: accuracy}\nmethod: {name: kivi, bist: 3}\n"), {});
  EXPECT_TRUE(has_error(method_errors, {"c.yaml:2: method.bist: unknown key (did you mean 'bits'?)"}))
      << ::testing::PrintToString(method_errors);
}

TEST_F(ValidateTest, UnknownTopLevelKey) {
  const auto errors = load_errors(write(std::string(kGood) + "sed: 3\n"), {});
  EXPECT_TRUE(has_error(errors, {"c.yaml:10: sed: unknown top-level key (did you mean 'seed'?)"}))
      << ::testing::PrintToString(errors);
}

TEST_F(ValidateTest, UnknownEntryNameSuggestsClosest) {
  const auto errors = load_errors(write("experiment: {kind: acuracy}\nmethod: {name: kivy}\n"), {});
  EXPECT_TRUE(has_error(errors, {"c.yaml:1: experiment.kind: unknown experiment 'acuracy' (did you mean 'accuracy'?)"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"c.yaml:2: method.name: unknown method 'kivy' (did you mean 'kivi'?)",
                                 "expected one of: kivi, windowquant"}))
      << ::testing::PrintToString(errors);
}

TEST_F(ValidateTest, WrongTypes) {
  const auto errors = load_errors(
      write("experiment: {kind: accuracy, max_new_tokens: 2.5}\n"
            "method: {name: windowquant, budget: two, windows: 4, packed: yes, extra: [1]}\n"
            "seed: \"7\"\n"),
      {});
  EXPECT_TRUE(has_error(errors, {"c.yaml:1: experiment.max_new_tokens: got '2.5' (expected int, value >= 1)"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.budget: got 'two' (expected float"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.windows: got '4' (expected list of int"})) << ::testing::PrintToString(errors);
  // YAML 1.2 reads "yes" as a string; only true/false are bools.
  EXPECT_TRUE(has_error(errors, {"method.packed: got 'yes' (expected bool)"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.extra: got a list (expected map)"})) << ::testing::PrintToString(errors);
  // A quoted number is a string.
  EXPECT_TRUE(has_error(errors, {"c.yaml:3: seed: got '7' (expected int)"})) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
}

TEST_F(ValidateTest, OutOfRangeNumbersAndListElements) {
  const auto errors = load_errors(write("experiment: {kind: accuracy}\nmethod: {name: kivi, bits: 17}\n"), {});
  EXPECT_TRUE(has_error(errors, {"method.bits: 17 is out of range (expected int, 1 <= value <= 16)"}))
      << ::testing::PrintToString(errors);
  const auto list_errors = load_errors(write("experiment: {kind: accuracy}\nmethod: {name: windowquant, windows: [4, 0]}\n"), {});
  EXPECT_TRUE(has_error(list_errors, {"method.windows[1]: 0 is out of range (expected list of int, value >= 1)"}))
      << ::testing::PrintToString(list_errors);
}

TEST_F(ValidateTest, ChoicesForStringsAndStringLists) {
  const auto errors = load_errors(
      write("experiment: {kind: accuracy, protocol: cached}\nmethod: {name: kivi, axis: token}\n"
            "dataset: {name: synthetic, tasks: [color, colour]}\n"),
      {});
  EXPECT_TRUE(has_error(errors, {"experiment.protocol: 'cached' is not allowed", "one of: cached_video, full_prefill"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.axis: 'token' is not allowed (did you mean 'tokens'?)"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"dataset.tasks[1]: 'colour' is not allowed (did you mean 'color'?)"}))
      << ::testing::PrintToString(errors);
  const auto device_errors = load_errors(write("experiment: {kind: accuracy}\ndevice: gpu\n"), {});
  EXPECT_TRUE(has_error(device_errors, {"c.yaml:2: device: 'gpu' is not allowed", "one of: cpu, cuda"}))
      << ::testing::PrintToString(device_errors);
}

TEST_F(ValidateTest, MissingRequiredKeysAndSections) {
  const auto errors = load_errors(write("method: {name: kivi}\nmodel: {name: proxy}\ndataset: {tasks: []}\n"), {});
  EXPECT_TRUE(has_error(errors, {"experiment: missing required section"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"c.yaml:2: model.path: missing required key (expected path: checkpoint folder)"}))
      << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"c.yaml:3: dataset: missing 'name'"})) << ::testing::PrintToString(errors);
}

TEST_F(ValidateTest, NullOnlyWhereTheDefaultIsNull) {
  const auto errors = load_errors(write("experiment: {kind: accuracy}\nmethod: {name: windowquant, calib: ~, budget: ~}\n"), {});
  ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.budget: no value given"}));
}

TEST_F(ValidateTest, PathsResolveAgainstConfigDirThenCurrentDir) {
  const auto errors = load_errors(write("experiment: {kind: accuracy}\nmodel: {name: proxy, path: no/such/dir}\n"), {});
  EXPECT_TRUE(has_error(errors, {"c.yaml:2: model.path: path 'no/such/dir' does not exist", "relative to " + dir.path()}))
      << ::testing::PrintToString(errors);
  // "weights" exists beside the config, not in the current directory: it is found there.
  const Sweep sweep = load_sweep(write(kGood), {}, test_options());
  EXPECT_EQ(sweep.runs[0].config["model"]["path"].as<std::string>(), dir.path() + "/weights");
}

TEST_F(ValidateTest, RunIdDoesNotDependOnWhereRelativePathsResolve) {
  TempDir other;
  other.write("weights/config.json", "{}");
  const Sweep a = load_sweep(write(kGood), {}, test_options());
  const Sweep b = load_sweep(other.write("c.yaml", kGood), {}, test_options());
  EXPECT_EQ(a.runs[0].id, b.runs[0].id);
  EXPECT_NE(a.runs[0].config["model"]["path"].as<std::string>(), b.runs[0].config["model"]["path"].as<std::string>());
}

TEST_F(ValidateTest, AllErrorsOfAllRunsComeBackOnceEach) {
  const auto errors = load_errors(write("experiment: {kind: accuracy}\nmethod: {name: kivi, bist: 2}\n"
                                        "sweep:\n  grid:\n    method.bits: [2, 40, 50]\n"),
                                  {});
  // The unknown key is reported once although every run has it; each bad axis value once.
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.bist: unknown key"}));
  EXPECT_TRUE(has_error(errors, {"c.yaml:5: method.bits: 40 is out of range"})) << ::testing::PrintToString(errors);
  EXPECT_TRUE(has_error(errors, {"method.bits: 50 is out of range"}));
}

TEST_F(ValidateTest, NumbersAreWrittenInCanonicalSpelling) {
  const Sweep sweep = load_sweep(write("experiment: {kind: accuracy, max_new_tokens: 0x10}\n"
                                       "method: {name: windowquant, budget: 2.50, packed: True}\n"),
                                 {}, test_options());
  const YAML::Node& config = sweep.runs[0].config;
  EXPECT_EQ(config["experiment"]["max_new_tokens"].Scalar(), "16");
  EXPECT_EQ(config["method"]["budget"].Scalar(), "2.5");
  EXPECT_EQ(config["method"]["packed"].Scalar(), "true");
}

TEST_F(ValidateTest, SectionWithoutRegisteredSchemaIsOnlyCheckedForItsSelector) {
  SchemaSet only_methods;
  only_methods.add(*test_schemas().find("method"));
  LoadOptions options = test_options();
  options.schemas = &only_methods;
  const Sweep sweep = load_sweep(write("experiment: {kind: anything, free: 1}\nmethod: {name: kivi}\n"), {}, options);
  EXPECT_EQ(sweep.runs[0].config["experiment"]["free"].as<int>(), 1);
  EXPECT_THROW(load_sweep(write("experiment: {free: 1}\n"), {}, options), ConfigError);
}

// `device: cuda` where no GPU can be used fails at validation, naming the key, not in every run
// with a LibTorch backtrace (the probe is LibTorch's, registered by vlm/models/device_probe.cpp).
TEST_F(ValidateTest, DeviceThisMachineCannotUseIsAnError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible: cuda is a usable device here";
  const auto top = load_errors(write(std::string(kGood) + "device: cuda\n"));
  EXPECT_TRUE(has_error(top, {"c.yaml", "device", "no CUDA device here", "expected cpu"})) << ::testing::PrintToString(top);
  const auto model = load_errors(write(std::string(kGood) + "device: cpu\n"), {"model.device=cuda:1"});
  EXPECT_TRUE(has_error(model, {"model.device", "no CUDA device here"})) << ::testing::PrintToString(model);
  EXPECT_TRUE(load_errors(write(std::string(kGood) + "device: cpu\n")).empty());
}

}  // namespace
}  // namespace wq::config_test
