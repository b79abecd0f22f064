#include "core/config/validate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/config/config_error.h"
#include "core/config/device_check.h"
#include "core/config/did_you_mean.h"
#include "core/config/scalars.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

namespace fs = std::filesystem;

struct Checker {
  SourceMap& sources;
  const ValidationContext& context;
  std::vector<std::string>& errors;

  std::string origin(const std::string& key) const {
    std::string found = sources.find(key);
    return found.empty() ? context.file : found;
  }
  void error(const std::string& key, const std::string& message, const std::string& expected = "") {
    errors.push_back(format_config_error(origin(key), key, message, expected));
  }
};

std::string show(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsNull()) return "null";
  if (node.IsMap()) return "a map";
  return "a list";
}

std::string range_text(const ParamSpec& spec) {
  auto number = [](double value) { return format_float(value); };
  if (spec.min && spec.max) return number(*spec.min) + " <= value <= " + number(*spec.max);
  if (spec.min) return "value >= " + number(*spec.min);
  if (spec.max) return "value <= " + number(*spec.max);
  return "";
}

std::string expected_text(const ParamSpec& spec) {
  std::string text = param_type_name(spec.type);
  if (!spec.choices.empty()) text += ", one of: " + join_names(spec.choices, 50);
  const std::string range = range_text(spec);
  if (!range.empty()) text += ", " + range;
  return text;
}

// Checks one scalar against the element type of `spec`; writes canonical spelling back.
// Returns false (after reporting) when it does not fit.
bool check_scalar(YAML::Node node, const ParamSpec& spec, ParamType type, const std::string& key, Checker& check) {
  const std::string expected = expected_text(spec);
  if (!node.IsScalar()) {
    check.error(key, "got " + show(node), expected);
    return false;
  }
  const std::string text = node.Scalar();
  // A quoted "2" is a string in YAML; accepting it as a number would hide a typo class.
  const bool quoted = is_explicit_string(node);
  double number = 0;
  switch (type) {
    case ParamType::Bool: {
      auto value = quoted ? std::nullopt : parse_bool(text);
      if (!value) {
        check.error(key, "got " + show(node), expected);
        return false;
      }
      node = *value ? "true" : "false";
      return true;
    }
    case ParamType::Int: {
      auto value = quoted ? std::nullopt : parse_int(text);
      if (!value) {
        check.error(key, "got " + show(node), expected);
        return false;
      }
      node = std::to_string(*value);
      number = static_cast<double>(*value);
      break;
    }
    case ParamType::Float: {
      auto value = quoted ? std::nullopt : parse_float(text);
      if (!value) {
        check.error(key, "got " + show(node), expected);
        return false;
      }
      node = format_float(*value);
      number = *value;
      break;
    }
    default: {
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        check.error(key, "'" + text + "' is not allowed" + did_you_mean(text, spec.choices), expected);
        return false;
      }
      return true;
    }
  }
  if ((spec.min && number < *spec.min) || (spec.max && number > *spec.max)) {
    check.error(key, text + " is out of range", expected);
    return false;
  }
  return true;
}

ParamType element_type(ParamType type) {
  switch (type) {
    case ParamType::IntList: return ParamType::Int;
    case ParamType::FloatList: return ParamType::Float;
    case ParamType::StringList: return ParamType::String;
    default: return type;
  }
}

void check_value(YAML::Node node, const ParamSpec& spec, const std::string& key, Checker& check,
                 std::vector<ResolvedPath>* resolved_paths, const std::vector<std::string>& path) {
  switch (spec.type) {
    case ParamType::IntList:
    case ParamType::FloatList:
    case ParamType::StringList: {
      if (!node.IsSequence()) {
        check.error(key, "got " + show(node), expected_text(spec));
        return;
      }
      for (size_t i = 0; i < node.size(); ++i) check_scalar(node[i], spec, element_type(spec.type), element_key(key, i), check);
      return;
    }
    case ParamType::Map:
      if (!node.IsMap()) check.error(key, "got " + show(node), "map");
      return;
    case ParamType::Path: {
      if (!check_scalar(node, spec, ParamType::Path, key, check)) return;
      // An empty path is "not given" (optional paths default to ""), not a missing file.
      if (node.Scalar().empty()) return;
      const std::string resolved = resolve_config_path(node.Scalar(), check.context.base_dir);
      if (resolved.empty()) {
        check.error(key, "path '" + node.Scalar() + "' does not exist",
                    "relative to " + (check.context.base_dir.empty() ? std::string(".") : check.context.base_dir) +
                        " or to the current directory");
      } else if (resolved_paths) {
        resolved_paths->push_back({path, resolved});
      }
      return;
    }
    default:
      check_scalar(node, spec, spec.type, key, check);
  }
}

bool is_null_default(const std::string& default_yaml) {
  if (default_yaml.empty()) return true;
  try {
    return YAML::Load(default_yaml).IsNull();
  } catch (const YAML::Exception&) {
    return false;
  }
}

// Fills defaults and checks every declared parameter (unknown keys are the caller's job).
void check_specs(YAML::Node values, const std::vector<ParamSpec>& specs, const std::string& key_prefix, Checker& check,
                 std::vector<ResolvedPath>* resolved_paths) {
  for (const auto& spec : specs) {
    const std::string key = child_key(key_prefix, spec.name);
    const YAML::Node& const_values = values;
    // A const lookup of a missing key gives an *invalid* handle that must not be reset or
    // typed (yaml-cpp throws InvalidNode); look the key up again once it has been filled.
    if (!const_values[spec.name].IsDefined()) {
      if (spec.required) {
        check.error(key, "missing required key", expected_text(spec) + (spec.help.empty() ? "" : ": " + spec.help));
        continue;
      }
      try {
        values[spec.name] = YAML::Load(spec.default_yaml.empty() ? "null" : spec.default_yaml);
      } catch (const YAML::Exception&) {
        check.error(key, "the default '" + spec.default_yaml + "' declared for it is not valid YAML (a bug in its registration)");
        continue;
      }
      check.sources.set(key, kDefaultOrigin);
    }
    YAML::Node node = const_values[spec.name];
    // null means "not set" and is allowed only where the default itself is null.
    if (node.IsNull()) {
      if (spec.required || !is_null_default(spec.default_yaml)) check.error(key, "no value given", expected_text(spec));
      continue;
    }
    std::vector<std::string> path = split_dotted(key_prefix);
    path.push_back(spec.name);
    check_value(node, spec, key, check, resolved_paths, path);
  }
}

void check_string_key(const YAML::Node& config, const std::string& key, Checker& check,
                      const std::vector<std::string>& choices = {}) {
  const YAML::Node node = config[key];
  if (!node.IsDefined()) return;
  ParamSpec spec;
  spec.type = ParamType::String;
  spec.choices = choices;
  check_scalar(node, spec, ParamType::String, key, check);
}

// The section's values with its Path parameters replaced by their resolved absolute paths.
YAML::Node with_resolved_paths(const YAML::Node& values, const std::string& section,
                               const std::vector<ResolvedPath>& resolved_paths) {
  YAML::Node copy = YAML::Clone(values);
  for (const auto& path : resolved_paths)
    if (path.path.size() == 2 && path.path[0] == section) copy[path.path[1]] = path.resolved;
  return copy;
}

void check_section(YAML::Node config, const SectionInfo& info, Checker& check, std::vector<ResolvedPath>& resolved_paths,
                   InputIdentities* identities) {
  const std::string section = info.section;
  const std::string selector = info.selector;
  const YAML::Node& const_config = config;
  YAML::Node values = const_config[section];
  if (!values.IsDefined()) {
    if (section == "experiment") check.error(section, "missing required section", "a map with '" + selector + "'");
    return;
  }
  if (!values.IsMap()) {
    check.error(section, "got " + show(values), "a map with '" + selector + "'");
    return;
  }
  const YAML::Node& const_values = values;
  const YAML::Node name_node = const_values[selector];
  const std::string selector_key = section + "." + selector;
  if (!name_node.IsDefined()) {
    check.error(section, "missing '" + selector + "'", "the name of a registered " + section);
    return;
  }
  if (!name_node.IsScalar()) {
    check.error(selector_key, "got " + show(name_node), "the name of a registered " + section);
    return;
  }
  const SectionSchema* schema = check.context.schemas->find(section);
  // Without a registered schema the section cannot be checked further; the experiment
  // that uses it validates what it reads through Params.
  if (!schema) return;
  const std::string name = name_node.Scalar();
  const std::vector<ParamSpec>* specs = schema->params_of(name);
  if (!specs) {
    const auto names = schema->names();
    check.error(selector_key, "unknown " + section + " '" + name + "'" + did_you_mean(name, names), "one of: " + join_names(names));
    return;
  }
  const size_t errors_before = check.errors.size();
  validate_params(values, *specs, section, check.sources, check.context, check.errors, &resolved_paths, selector);
  if (check.errors.size() != errors_before) return;
  try {
    if (schema->construct) schema->construct(name, Params(values, section, &check.sources));
    if (!schema->inspect_inputs) return;
    const Params inputs(with_resolved_paths(values, section, resolved_paths), section, &check.sources);
    const std::string identity = schema->inspect_inputs(name, inputs);
    if (identities && !identity.empty()) (*identities)[section] = identity;
  } catch (const ConfigError& error) {
    check.errors.insert(check.errors.end(), error.messages().begin(), error.messages().end());
  } catch (const std::exception& error) {  // an entry that did not go through Params::fail
    check.error(selector_key, error.what());
  }
}

}  // namespace

const std::vector<ParamSpec>& cache_section_params() {
  static const std::vector<ParamSpec> params = {
      {"mode", ParamType::String, "auto",
       "simulate: quantize-dequantize, the model attends over a dense dequantized cache; packed: the cache stays "
       "packed and attention reads it through the kernels; auto: packed for a bf16/fp16 model on a GPU, else simulate",
       std::nullopt, std::nullopt, {"auto", "simulate", "packed"}, false}};
  return params;
}

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = {"defaults", "name",  "description", "seed",    "output", "device",
                                                "cache",    "experiment", "method", "model", "dataset", "sweep"};
  return keys;
}

std::string resolve_config_path(const std::string& value, const std::string& base_dir) {
  if (value.empty()) return "";
  std::error_code ec;
  const fs::path path(value);
  std::vector<fs::path> candidates;
  if (path.is_absolute()) {
    candidates.push_back(path);
  } else {
    if (!base_dir.empty()) candidates.push_back(fs::path(base_dir) / path);
    candidates.push_back(path);
  }
  for (const auto& candidate : candidates) {
    if (fs::exists(candidate, ec)) return fs::absolute(candidate, ec).lexically_normal().string();
  }
  return "";
}

void validate_params(YAML::Node values, const std::vector<ParamSpec>& specs, const std::string& key_prefix,
                     SourceMap& sources, const ValidationContext& context, std::vector<std::string>& errors,
                     std::vector<ResolvedPath>* resolved_paths, const std::string& selector) {
  Checker check{sources, context, errors};
  std::vector<std::string> known;
  for (const auto& spec : specs) known.push_back(spec.name);
  for (const auto& item : values) {
    const std::string name = item.first.Scalar();
    if (name == selector) continue;
    if (std::find(known.begin(), known.end(), name) == known.end())
      check.error(child_key(key_prefix, name), "unknown key" + did_you_mean(name, known), "one of: " + join_names(known));
  }
  check_specs(values, specs, key_prefix, check, resolved_paths);
}

std::vector<ResolvedPath> validate_run(YAML::Node config, SourceMap& sources, const ValidationContext& context_in,
                                       std::vector<std::string>& errors, InputIdentities* identities) {
  ValidationContext context = context_in;
  if (!context.schemas) context.schemas = &global_schemas();
  Checker check{sources, context, errors};
  std::vector<ResolvedPath> resolved_paths;
  if (!config.IsMap()) {
    check.error("", "a config must be a map of keys to values");
    return resolved_paths;
  }
  const auto& allowed = top_level_keys();
  for (const auto& item : config) {
    const std::string key = item.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      check.error(key, "unknown top-level key" + did_you_mean(key, allowed), "one of: " + join_names(allowed));
  }
  check_string_key(config, "name", check);
  check_string_key(config, "description", check);
  check_string_key(config, "output", check);
  ParamSpec seed{"seed", ParamType::Int, "0", "", std::nullopt, std::nullopt, {}, false};
  ParamSpec device{"device", ParamType::String, "cpu", "", std::nullopt, std::nullopt, {"cpu", "cuda"}, false};
  check_specs(config, {seed, device}, "", check, nullptr);
  // A device nothing here can run on fails now, not in every run (top level and model.device).
  for (const auto& [node, key] : {std::pair{config["device"], std::string("device")},
                                  std::pair{config["model"] && config["model"].IsMap() ? config["model"]["device"] : YAML::Node(),
                                            std::string("model.device")}}) {
    if (!node || !node.IsScalar()) continue;
    const std::string why = device_unusable(node.Scalar());
    if (!why.empty()) check.error(key, why, "cpu, or a machine where " + node.Scalar() + " exists");
  }
  if (config["cache"]) {
    if (!config["cache"].IsMap())
      check.error("cache", "must be a map", "cache: {mode: auto | simulate | packed}");
    else
      validate_params(config["cache"], cache_section_params(), "cache", sources, context, errors, nullptr);
  }
  for (const auto& info : config_sections()) check_section(config, info, check, resolved_paths, identities);
  return resolved_paths;
}

}  // namespace wq
