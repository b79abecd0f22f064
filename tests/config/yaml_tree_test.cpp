// Building blocks: scalar parsing, canonical text, flattening, dotted paths, source maps,
// did-you-mean and Params.
#include <gtest/gtest.h>

#include <cmath>

#include "core/config/config_error.h"
#include "core/config/did_you_mean.h"
#include "core/config/params.h"
#include "core/config/registry.h"
#include "core/config/scalars.h"
#include "core/config/source_map.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

TEST(ScalarsTest, IntsFollowYamlCoreSchema) {
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-7"), -7);
  EXPECT_EQ(parse_int("+7"), 7);
  EXPECT_EQ(parse_int("0x1F"), 31);
  EXPECT_EQ(parse_int("0o17"), 15);
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<long long>::min());
  EXPECT_FALSE(parse_int("9223372036854775808"));
  EXPECT_FALSE(parse_int("2.0"));
  EXPECT_FALSE(parse_int("1e3"));
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("-"));
  EXPECT_FALSE(parse_int("0x"));
  EXPECT_FALSE(parse_int(" 1"));
}

TEST(ScalarsTest, FloatsRefuseNanAndHexButTakeYamlInfinity) {
  EXPECT_EQ(parse_float("2.5"), 2.5);
  EXPECT_EQ(parse_float("1e-3"), 1e-3);
  EXPECT_EQ(parse_float(".5"), 0.5);
  EXPECT_EQ(parse_float("3"), 3.0);
  EXPECT_TRUE(std::isinf(*parse_float("-.inf")));
  EXPECT_FALSE(parse_float(".nan"));
  EXPECT_FALSE(parse_float("nan"));
  EXPECT_FALSE(parse_float("inf"));
  EXPECT_FALSE(parse_float("0x1p3"));
  EXPECT_FALSE(parse_float("1e999"));
  EXPECT_FALSE(parse_float("."));
  EXPECT_FALSE(parse_float("--1"));
}

TEST(ScalarsTest, BoolsAreOnlyTrueAndFalse) {
  EXPECT_EQ(parse_bool("True"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("yes"));
  EXPECT_FALSE(parse_bool("1"));
}

TEST(ScalarsTest, FloatFormattingIsShortestRoundTrip) {
  EXPECT_EQ(format_float(0.1), "0.1");
  EXPECT_EQ(format_float(2.0), "2");
  EXPECT_EQ(format_float(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_float(1e-5), "1e-05");
  EXPECT_EQ(format_float(-INFINITY), "-.inf");
  for (double value : {0.1, 1.0 / 3.0, 6.02e23, -1e-300, 123456789.125}) EXPECT_EQ(*parse_float(format_float(value)), value);
}

TEST(CanonicalYamlTest, SortsKeysAndNormalisesNumbers) {
  EXPECT_EQ(canonical_yaml(YAML::Load("{b: [1, 0x10, 2.50], a: {z: true, y: ~}}")),
            "{a: {y: null, z: true}, b: [1, 16, 2.5]}");
  // Strings that would read back as something else are quoted; quoted input stays a string.
  EXPECT_EQ(canonical_yaml(YAML::Load("{s: 'true', t: \"2\", u: 'a b', v: \"x\\ny\"}")),
            "{s: \"true\", t: \"2\", u: \"a b\", v: \"x\\ny\"}");
  EXPECT_EQ(canonical_yaml(YAML::Load("{a: 1}")), canonical_yaml(YAML::Load("a: 1.0")));
}

TEST(FlattenTest, DottedLeavesWithListsInFlowForm) {
  const auto flat = flatten_config(YAML::Load("{method: {name: kivi, bits: 2, windows: [4, 8], extra: {}}, seed: 0, x: ~}"));
  EXPECT_EQ(flat.size(), 6u);
  EXPECT_EQ(flat.at("method.name"), "kivi");
  EXPECT_EQ(flat.at("method.bits"), "2");
  EXPECT_EQ(flat.at("method.windows"), "[4, 8]");
  EXPECT_EQ(flat.at("method.extra"), "{}");
  EXPECT_EQ(flat.at("seed"), "0");
  EXPECT_EQ(flat.at("x"), "null");
}

TEST(PathTest, SetCreatesMapsAndReplacesScalarsInTheWay) {
  YAML::Node root = YAML::Load("{a: 1}");
  set_path(root, {"a", "b", "c"}, YAML::Node(3));
  EXPECT_EQ(root["a"]["b"]["c"].as<int>(), 3);
  EXPECT_EQ(find_path(root, {"a", "b", "c"}).as<int>(), 3);
  EXPECT_FALSE(find_path(root, {"a", "x"}).IsDefined());
  EXPECT_FALSE(find_path(root, {"a", "b", "c", "d"}).IsDefined());
  // Lookups must not have inserted anything.
  EXPECT_EQ(root["a"].size(), 1u);
  EXPECT_EQ(split_dotted("a.b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(split_dotted("a..b").empty());
  EXPECT_TRUE(split_dotted(".a").empty());
  EXPECT_TRUE(split_dotted("").empty());
}

TEST(CheckedCloneTest, BreaksAliasSharingAndRecordsLines) {
  const YAML::Node parsed = YAML::Load("base: &b {x: 1}\ncopy: *b\nlist:\n  - 5\n  - 6\n");
  SourceMap sources;
  YAML::Node cloned = checked_clone(parsed, "f.yaml", &sources);
  cloned["copy"]["x"] = 2;
  EXPECT_EQ(cloned["base"]["x"].as<int>(), 1);
  EXPECT_EQ(sources.find("list"), "f.yaml:3");
  EXPECT_EQ(sources.find("list[1]"), "f.yaml:5");
  EXPECT_EQ(sources.find("copy"), "f.yaml:2");
}

TEST(CheckedCloneTest, AliasBombIsRefused) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 9; ++level) {
    const std::string prev = "*a" + std::to_string(level - 1);
    text += "a" + std::to_string(level) + ": &a" + std::to_string(level) + " [" + prev;
    for (int i = 1; i < 10; ++i) text += ", " + prev;
    text += "]\n";
  }
  try {
    checked_clone(YAML::Load(text), "bomb.yaml");
    FAIL() << "alias bomb accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("bomb.yaml: config too large"), std::string::npos) << error.what();
  }
}

TEST(CheckedCloneTest, DeepNestingIsRefused) {
  std::string text = std::string(100, '[') + std::string(100, ']');
  EXPECT_THROW(checked_clone(YAML::Load(text), "deep.yaml"), ConfigError);
  EXPECT_NO_THROW(checked_clone(YAML::Load(std::string(20, '[') + std::string(20, ']')), "ok.yaml"));
}

TEST(CheckedCloneTest, NonScalarKeysAreRefused) {
  EXPECT_THROW(checked_clone(YAML::Load("? [a, b]\n: 1\n"), "k.yaml"), ConfigError);
}

TEST(SourceMapTest, AncestorsAnswerForUnknownKeysAndSubtreesMove) {
  SourceMap map;
  map.set("method", "a.yaml:1");
  map.set("method.bits", "a.yaml:2");
  map.set("method.bits2", "a.yaml:3");
  map.set("sweep.zip[0].x", "a.yaml:9");
  EXPECT_EQ(map.find("method.bits"), "a.yaml:2");
  EXPECT_EQ(map.find("method.group_size"), "a.yaml:1");
  EXPECT_EQ(map.find("sweep.zip[0].x[3]"), "a.yaml:9");
  EXPECT_EQ(map.find("model.path"), "");
  map.erase_subtree("method.bits");
  EXPECT_EQ(map.find("method.bits"), "a.yaml:1");
  EXPECT_EQ(map.find("method.bits2"), "a.yaml:3");
  SourceMap other;
  other.copy_subtree(map, "sweep.zip[0]", "method");
  EXPECT_EQ(other.find("method.x"), "a.yaml:9");
}

TEST(DidYouMeanTest, SuggestsWithinAThirdOfTheLength) {
  EXPECT_EQ(edit_distance("bits", "bist"), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(closest_match("group_sise", {"bits", "group_size"}), "group_size");
  EXPECT_EQ(closest_match("xyz", {"bits", "group_size"}), "");
  EXPECT_EQ(did_you_mean("sed", {"seed", "name"}), " (did you mean 'seed'?)");
}

TEST(ParamsTest, TypedGettersAndErrorsWithOrigins) {
  SourceMap sources;
  sources.set("method.bits", "m.yaml:4");
  const Params params(YAML::Load("{bits: 2, budget: 2.5, packed: true, name: kivi, windows: [4, 8], scales: [0.5, 1],"
                                 " tasks: [a, b], extra: {k: 1}, calib: ~}"),
                      "method", &sources);
  EXPECT_TRUE(params.has("bits"));
  EXPECT_FALSE(params.has("nope"));
  EXPECT_TRUE(params.has_value("bits"));
  EXPECT_FALSE(params.has_value("calib"));
  EXPECT_TRUE(params.has("calib"));
  EXPECT_EQ(params.get_int("bits"), 2);
  EXPECT_EQ(params.get_float("bits"), 2.0);
  EXPECT_EQ(params.get_float("budget"), 2.5);
  EXPECT_TRUE(params.get_bool("packed"));
  EXPECT_EQ(params.get_string("name"), "kivi");
  EXPECT_EQ(params.get_int_list("windows"), (std::vector<long long>{4, 8}));
  EXPECT_EQ(params.get_float_list("scales"), (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(params.get_string_list("tasks"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(params.node("extra")["k"].as<int>(), 1);
  EXPECT_EQ(params.where("bits"), "m.yaml:4");
  EXPECT_EQ(params.where("budget"), "method");
  try {
    params.get_int("budget");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "method: method.budget: got '2.5' (expected int)");
  }
  try {
    params.fail("bits", "must divide head_dim");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), "m.yaml:4: method.bits: must divide head_dim");
  }
  EXPECT_THROW(params.get_bool("missing"), ConfigError);
  EXPECT_FALSE(Params().has("x"));
}

TEST(RegistryTest, ParamTypeNames) {
  EXPECT_STREQ(param_type_name(ParamType::IntList), "list of int");
  EXPECT_STREQ(param_type_name(ParamType::Path), "path");
  EXPECT_STREQ(param_type_name(ParamType::Map), "map");
}

}  // namespace
}  // namespace wq
