// Inputs that once were (or could be) dangerous: each must end in a clean ConfigError or a
// valid sweep, never a crash, a hang or a huge allocation. Found by reasoning and by
// fuzz/config_fuzzer.cpp; new fuzzer findings go here.
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace wq::config_test {
namespace {

std::vector<std::string> text_errors(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    load_sweep_text(text, "t.yaml", "/nonexistent-wq-test", overrides, test_options(256));
  } catch (const ConfigError& error) {
    return error.messages();
  }
  return {};
}

TEST(PathologicalInputTest, RecursiveAliasIsRefused) {
  EXPECT_TRUE(has_error(text_errors("a: &a [*a]\nexperiment: {kind: accuracy}\n"), {"t.yaml: config nested deeper than 64 levels"}));
  EXPECT_TRUE(has_error(text_errors("experiment: &e {kind: accuracy, x: *e}\n"), {"nested deeper than 64 levels"}));
}

TEST(PathologicalInputTest, NestingBeyondTheParsersLimitIsASyntaxError) {
  // yaml-cpp stops at depth 2000 itself; deeper input must not overflow the stack.
  const auto errors = text_errors(std::string(5000, '[') + std::string(5000, ']'));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(has_error(errors, {"t.yaml:1: YAML syntax"})) << errors[0];
}

TEST(PathologicalInputTest, EmptyAndScalarDocuments) {
  EXPECT_TRUE(has_error(text_errors(""), {"experiment: missing required section"}));
  EXPECT_TRUE(has_error(text_errors("---\n...\n"), {"experiment: missing required section"}));
  EXPECT_TRUE(has_error(text_errors("just text"), {"a config file must be a map"}));
}

TEST(PathologicalInputTest, ErrorsStayOneLineWhateverTheValuesContain) {
  const auto errors = text_errors("experiment: {kind: \"acc\\nuracy\"}\n\"se\\ned\": 1\n");
  ASSERT_EQ(errors.size(), 2u) << ::testing::PrintToString(errors);
  for (const auto& error : errors) EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_TRUE(has_error(errors, {"unknown experiment 'acc\\nuracy'"}));
}

TEST(PathologicalInputTest, BinaryGarbageAndHugeKeys) {
  EXPECT_FALSE(text_errors(std::string("experiment: {kind: \x01\xff\xfe}\n", 27)).empty());
  const std::string long_key(100000, 'k');
  // Plain keys are limited to 1024 characters by YAML; "? " writes an explicit key of any
  // length, which goes through did-you-mean (bounded so this stays fast).
  const auto errors = text_errors("experiment: {kind: accuracy}\n? " + long_key + "\n: 1\n");
  EXPECT_TRUE(has_error(errors, {"unknown top-level key"})) << ::testing::PrintToString(errors).substr(0, 200);
}

TEST(PathologicalInputTest, OverridesWithOddValues) {
  EXPECT_TRUE(has_error(text_errors("experiment: {kind: accuracy}\n", {"seed="}), {"seed: no value given"}));
  EXPECT_TRUE(has_error(text_errors("experiment: {kind: accuracy}\n", {"experiment=3"}), {"experiment: got '3'"}));
  EXPECT_TRUE(has_error(text_errors("experiment: {kind: accuracy}\n", {"sweep.grid.=[1]"}), {"not a dotted key"}));
  EXPECT_TRUE(has_error(text_errors("experiment: {kind: accuracy}\n", {"sweep=3"}), {"sweep: expected a map"}));
  // An override through a scalar replaces it with a map instead of failing.
  EXPECT_TRUE(has_error(text_errors("experiment: {kind: accuracy}\nseed: 1\n", {"seed.x=1"}), {"seed: got a map"}));
}

TEST(PathologicalInputTest, SweepOfNonScalarValuesGetsReadableNames) {
  const Sweep sweep = load_sweep_text("experiment: {kind: accuracy}\nsweep:\n  grid:\n    method: [{name: kivi, bits: 2}, {name: windowquant}]\n",
                                      "t.yaml", ".", {}, test_options());
  ASSERT_EQ(sweep.runs.size(), 2u);
  EXPECT_EQ(sweep.runs[0].name, "method={bits: 2, name: kivi}");
  EXPECT_EQ(sweep.runs[1].config["method"]["budget"].as<std::string>(), "2");
}

}  // namespace
}  // namespace wq::config_test
