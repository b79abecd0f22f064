// Params getters. Values were validated (and defaults filled) before a Params is built, so
// a failure here means the code asked for a key its own ParamSpecs do not declare, or asked
// with the wrong type: the message still points at the config line to make that quick to see.
#include "core/config/params.h"

#include "core/config/config_error.h"
#include "core/config/scalars.h"
#include "core/config/source_map.h"

namespace wq {
namespace {

template <class T, class Parse>
T parse_scalar(const Params& params, const std::string& key, const YAML::Node& node, const char* type, Parse parse) {
  if (!node.IsScalar()) params.fail(key, std::string("got a non-scalar (expected ") + type + ")");
  auto value = parse(node.Scalar());
  if (!value) params.fail(key, "got '" + node.Scalar() + "' (expected " + type + ")");
  return *value;
}

template <class T, class Parse>
std::vector<T> parse_list(const Params& params, const std::string& key, const YAML::Node& node, const char* type, Parse parse) {
  if (!node.IsSequence()) params.fail(key, std::string("got a non-list (expected list of ") + type + ")");
  std::vector<T> out;
  for (const auto& item : node) out.push_back(parse_scalar<T>(params, key, item, type, parse));
  return out;
}

std::optional<std::string> any_text(const std::string& text) { return text; }

}  // namespace

Params::Params(YAML::Node values, std::string section, const SourceMap* sources)
    : values_(values.IsDefined() && !values.IsNull() ? values : YAML::Node(YAML::NodeType::Map)),
      section_(std::move(section)),
      sources_(sources) {}

bool Params::has(const std::string& key) const {
  if (!values_.IsMap()) return false;
  const YAML::Node& values = values_;
  return values[key].IsDefined();
}

bool Params::has_value(const std::string& key) const {
  if (!has(key)) return false;
  const YAML::Node& values = values_;
  return !values[key].IsNull();
}

YAML::Node Params::node(const std::string& key) const {
  if (!has(key)) fail(key, "no such parameter");
  const YAML::Node& values = values_;
  return values[key];
}

bool Params::get_bool(const std::string& key) const { return parse_scalar<bool>(*this, key, node(key), "bool", parse_bool); }

long long Params::get_int(const std::string& key) const {
  return parse_scalar<long long>(*this, key, node(key), "int", parse_int);
}

double Params::get_float(const std::string& key) const {
  return parse_scalar<double>(*this, key, node(key), "float", parse_float);
}

std::string Params::get_string(const std::string& key) const {
  return parse_scalar<std::string>(*this, key, node(key), "string", any_text);
}

std::vector<long long> Params::get_int_list(const std::string& key) const {
  return parse_list<long long>(*this, key, node(key), "int", parse_int);
}

std::vector<double> Params::get_float_list(const std::string& key) const {
  return parse_list<double>(*this, key, node(key), "float", parse_float);
}

std::vector<std::string> Params::get_string_list(const std::string& key) const {
  return parse_list<std::string>(*this, key, node(key), "string", any_text);
}

std::string Params::where(const std::string& key) const {
  if (sources_) {
    std::string origin = sources_->find(child_key(section_, key));
    if (!origin.empty()) return origin;
  }
  return section_;
}

void Params::fail(const std::string& key, const std::string& message) const {
  throw ConfigError(format_config_error(where(key), child_key(section_, key), message));
}

}  // namespace wq
