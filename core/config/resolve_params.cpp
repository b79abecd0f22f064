// Parameter maps outside a run's config (method presets, dataset.generate, train-proxy).
#include "core/config/resolve_params.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace wq {
namespace {

[[noreturn]] void bad(const std::string& section, const std::string& key, const std::string& what) {
  throw std::invalid_argument(section + "." + key + ": " + what);
}

void check_number(const ParamSpec& spec, double value, const std::string& section) {
  if (spec.min && value < *spec.min) bad(section, spec.name, "must be >= " + std::to_string(*spec.min));
  if (spec.max && value > *spec.max) bad(section, spec.name, "must be <= " + std::to_string(*spec.max));
}

void check_choice(const ParamSpec& spec, const std::string& value, const std::string& section) {
  if (spec.choices.empty()) return;
  if (std::find(spec.choices.begin(), spec.choices.end(), value) == spec.choices.end()) {
    std::string list;
    for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
    bad(section, spec.name, "'" + value + "' is not one of: " + list);
  }
}

// Type and range check of one present value, through the same getters methods use.
void check_value(const ParamSpec& spec, const Params& params, const std::string& section) {
  try {
    switch (spec.type) {
      case ParamType::Bool: params.get_bool(spec.name); break;
      case ParamType::Int: check_number(spec, static_cast<double>(params.get_int(spec.name)), section); break;
      case ParamType::Float: check_number(spec, params.get_float(spec.name), section); break;
      case ParamType::String:
      case ParamType::Path: check_choice(spec, params.get_string(spec.name), section); break;
      case ParamType::IntList:
        for (long long v : params.get_int_list(spec.name)) check_number(spec, static_cast<double>(v), section);
        break;
      case ParamType::FloatList:
        for (double v : params.get_float_list(spec.name)) check_number(spec, v, section);
        break;
      case ParamType::StringList:
        for (const auto& v : params.get_string_list(spec.name)) check_choice(spec, v, section);
        break;
      case ParamType::Map: break;
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {  // ConfigError from a getter: wrong type
    bad(section, spec.name, e.what());
  }
}

}  // namespace

Params resolve_params(const std::vector<ParamSpec>& specs, const YAML::Node& user, const std::string& section) {
  YAML::Node values(YAML::NodeType::Map);
  std::set<std::string> known;
  for (const auto& spec : specs) known.insert(spec.name);
  if (user.IsDefined() && !user.IsNull()) {
    if (!user.IsMap()) throw std::invalid_argument(section + ": expected a map of parameters");
    for (const auto& item : user) {
      const std::string key = item.first.as<std::string>();
      if (!known.count(key)) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        bad(section, key, "unknown parameter (accepted: " + list + ")");
      }
      values[key] = YAML::Clone(item.second);
    }
  }
  for (const auto& spec : specs) {
    if (values[spec.name].IsDefined()) continue;
    if (spec.required) bad(section, spec.name, "required");
    values[spec.name] = YAML::Load(spec.default_yaml);
  }
  Params params(values, section);
  for (const auto& spec : specs) check_value(spec, params, section);
  return params;
}

}  // namespace wq
