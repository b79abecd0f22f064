// libFuzzer target over the whole config path: YAML text -> loader -> sweep expansion ->
// validation -> canonical form, flattening and Params getters of every run.
//
// Input layout: the YAML config, optionally followed by a line "%%" and then one
// command-line override per line (so overrides are fuzzed with the same input).
// Besides crashes and sanitizer reports, it traps when an invariant breaks: every error
// message is a single line, and loading the same input twice gives the same run ids.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/config_error.h"
#include "core/config/load_sweep.h"
#include "core/config/params.h"
#include "core/config/registry.h"
#include "core/config/yaml_tree.h"

namespace {

// Fuzz-only registries with one parameter of every type, so that every check runs.
struct FuzzMethod {};
struct FuzzModel {};
struct FuzzDataset {};
struct FuzzExperiment {};

wq::ParamSpec spec(std::string name, wq::ParamType type, std::string default_yaml, std::optional<double> min = std::nullopt,
                   std::optional<double> max = std::nullopt, std::vector<std::string> choices = {}, bool required = false) {
  wq::ParamSpec out;
  out.name = std::move(name);
  out.type = type;
  out.default_yaml = std::move(default_yaml);
  out.min = min;
  out.max = max;
  out.choices = std::move(choices);
  out.required = required;
  return out;
}

const wq::SchemaSet& fuzz_schemas() {
  static const wq::SchemaSet schemas = [] {
    using wq::ParamType;
    wq::Registry<FuzzMethod>::instance().add(
        {"kivi", "", {spec("bits", ParamType::Int, "2", 1, 16), spec("axis", ParamType::String, "tokens", {}, {}, {"tokens", "channels"})}, nullptr});
    wq::Registry<FuzzMethod>::instance().add(
        {"windowquant", "",
         {spec("budget", ParamType::Float, "2", 1, 16), spec("windows", ParamType::IntList, "[4, 8]", 1),
          spec("scales", ParamType::FloatList, "[]", 0, 1), spec("calib", ParamType::Path, "null"),
          spec("packed", ParamType::Bool, "false"), spec("extra", ParamType::Map, "{}")},
         nullptr});
    wq::Registry<FuzzModel>::instance().add({"proxy", "", {spec("path", ParamType::Path, "", {}, {}, {}, true)}, nullptr});
    wq::Registry<FuzzDataset>::instance().add(
        {"synthetic", "", {spec("max_samples", ParamType::Int, "0", 0), spec("tasks", ParamType::StringList, "[]", {}, {}, {"color", "order"})}, nullptr});
    wq::Registry<FuzzExperiment>::instance().add({"accuracy", "", {spec("max_new_tokens", ParamType::Int, "8", 1)}, nullptr});
    wq::SchemaSet set;
    set.add(wq::schema_from_registry<FuzzMethod>("method", "name"));
    set.add(wq::schema_from_registry<FuzzModel>("model", "name"));
    set.add(wq::schema_from_registry<FuzzDataset>("dataset", "name"));
    set.add(wq::schema_from_registry<FuzzExperiment>("experiment", "kind"));
    return set;
  }();
  return schemas;
}

void split_input(const std::string& input, std::string& yaml, std::vector<std::string>& overrides) {
  const std::string marker = "\n%%\n";
  const size_t at = input.find(marker);
  yaml = input.substr(0, at);
  if (at == std::string::npos) return;
  std::string rest = input.substr(at + marker.size());
  size_t start = 0;
  while (start <= rest.size() && overrides.size() < 8) {
    const size_t end = rest.find('\n', start);
    overrides.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

// Reads every section through Params as its schema says, as an experiment would.
void read_run(const wq::ResolvedRun& run) {
  for (const char* section : {"method", "model", "dataset", "experiment"}) {
    const wq::Params params(run.config[section], section, run.sources.get());
    for (const auto& item : params.values()) {
      const std::string key = item.first.Scalar();
      try {
        (void)params.where(key);
        if (item.second.IsSequence()) {
          (void)params.get_string_list(key);
        } else if (item.second.IsScalar()) {
          (void)params.get_string(key);
        }
      } catch (const wq::ConfigError&) {
        // Reading a nested list as strings may legitimately fail; only crashes matter here.
      }
    }
  }
  (void)wq::flatten_config(run.config);
  (void)wq::canonical_yaml(run.config);
}

std::vector<std::string> load_ids(const std::string& yaml, const std::vector<std::string>& overrides, bool& loaded) {
  wq::LoadOptions options;
  options.schemas = &fuzz_schemas();
  options.max_runs = 256;  // keeps each input fast; the cap's own check is what gets fuzzed
  std::vector<std::string> ids;
  loaded = false;
  try {
    const wq::Sweep sweep = wq::load_sweep_text(yaml, "fuzz.yaml", "/nonexistent-wq-fuzz", overrides, options);
    for (const auto& run : sweep.runs) {
      read_run(run);
      ids.push_back(run.id);
    }
    loaded = true;
  } catch (const wq::ConfigError& error) {
    for (const auto& message : error.messages())
      if (message.find('\n') != std::string::npos) __builtin_trap();
  }
  return ids;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml;
  std::vector<std::string> overrides;
  split_input(std::string(reinterpret_cast<const char*>(data), size), yaml, overrides);
  bool first_loaded = false, second_loaded = false;
  const auto first = load_ids(yaml, overrides, first_loaded);
  if (!first_loaded) return 0;
  const auto second = load_ids(yaml, overrides, second_loaded);
  if (!second_loaded || first != second) __builtin_trap();
  try {
    (void)wq::parse_shard(overrides.empty() ? yaml.substr(0, 16) : overrides[0]);
  } catch (const wq::ConfigError&) {
  }
  return 0;
}
