#include "config_test_util.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/config/registry.h"

namespace wq::config_test {
namespace {

namespace fs = std::filesystem;

// Test-only base classes: their registries exist only in this binary.
struct FakeMethod {};
struct FakeModel {};
struct FakeDataset {};
struct FakeExperiment {};

ParamSpec spec(std::string name, ParamType type, std::string default_yaml, std::optional<double> min = std::nullopt,
               std::optional<double> max = std::nullopt, std::vector<std::string> choices = {}) {
  ParamSpec out;
  out.name = std::move(name);
  out.type = type;
  out.default_yaml = std::move(default_yaml);
  out.min = min;
  out.max = max;
  out.choices = std::move(choices);
  return out;
}

ParamSpec required(std::string name, ParamType type) {
  ParamSpec out = spec(std::move(name), type, "");
  out.required = true;
  out.help = "checkpoint folder";
  return out;
}

template <class Base>
void add(std::string name, std::vector<ParamSpec> params) {
  Registry<Base>::instance().add({std::move(name), "test entry", std::move(params), nullptr});
}

void register_fakes() {
  add<FakeMethod>("kivi", {spec("bits", ParamType::Int, "2", 1, 16), spec("group_size", ParamType::Int, "32"),
                           spec("axis", ParamType::String, "tokens", std::nullopt, std::nullopt, {"tokens", "channels"})});
  add<FakeMethod>("windowquant",
                  {spec("budget", ParamType::Float, "2", 1, 16), spec("windows", ParamType::IntList, "[4, 8]", 1),
                   spec("calib", ParamType::Path, "null"), spec("packed", ParamType::Bool, "false"),
                   spec("transform", ParamType::String, "none", std::nullopt, std::nullopt, {"none", "fft", "hadamard"}),
                   spec("extra", ParamType::Map, "{}")});
  add<FakeModel>("proxy", {required("path", ParamType::Path),
                           spec("dtype", ParamType::String, "fp32", std::nullopt, std::nullopt, {"fp32", "fp16"})});
  add<FakeDataset>("synthetic", {spec("root", ParamType::Path, "null"), spec("max_samples", ParamType::Int, "0", 0),
                                 spec("tasks", ParamType::StringList, "[]", std::nullopt, std::nullopt, {"color", "order", "count"})});
  add<FakeDataset>("plain", {spec("root", ParamType::Path, "null")});
  add<FakeExperiment>("accuracy", {spec("protocol", ParamType::String, "cached_video", std::nullopt, std::nullopt,
                                        {"cached_video", "full_prefill"}),
                                   spec("max_new_tokens", ParamType::Int, "8", 1)});
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "wq_config_test_XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& relative, const std::string& text) const {
  const fs::path full = fs::path(path_) / relative;
  fs::create_directories(full.parent_path());
  std::ofstream(full) << text;
  return full.string();
}

const SchemaSet& test_schemas() {
  static const SchemaSet schemas = [] {
    register_fakes();
    SchemaSet set;
    set.add(schema_from_registry<FakeMethod>("method", "name"));
    set.add(schema_from_registry<FakeModel>("model", "name"));
    set.add(schema_from_registry<FakeDataset>("dataset", "name"));
    set.add(schema_from_registry<FakeExperiment>("experiment", "kind"));
    return set;
  }();
  return schemas;
}

LoadOptions test_options(size_t max_runs) {
  LoadOptions options;
  options.schemas = &test_schemas();
  options.max_runs = max_runs;
  return options;
}

std::vector<std::string> load_errors(const std::string& path, const std::vector<std::string>& overrides) {
  try {
    load_sweep(path, overrides, test_options());
  } catch (const ConfigError& error) {
    return error.messages();
  }
  return {};
}

bool has_error(const std::vector<std::string>& messages, const std::vector<std::string>& parts) {
  for (const auto& message : messages) {
    bool all = true;
    for (const auto& part : parts) all = all && message.find(part) != std::string::npos;
    if (all) return true;
  }
  return false;
}

}  // namespace wq::config_test
