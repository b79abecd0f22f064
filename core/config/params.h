// Typed, validated view of one config section (e.g. the `method:` map of a run).
// Values are already checked against the entry's ParamSpecs and defaults are filled in,
// so getters only fail on programming errors; cross-field checks call fail().
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace wq {

// Where each dotted key of a resolved config came from ("configs/a.yaml:12" or "<cli>").
class SourceMap;

class Params {
 public:
  Params() = default;
  // section: dotted prefix of these values in the full config, e.g. "method".
  Params(YAML::Node values, std::string section, const SourceMap* sources = nullptr);

  bool has(const std::string& key) const;
  // Present and not null: optional parameters whose default is null (e.g. an optional
  // Path) are always present after validation, so test them with this.
  bool has_value(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  long long get_int(const std::string& key) const;
  double get_float(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  std::vector<long long> get_int_list(const std::string& key) const;
  std::vector<double> get_float_list(const std::string& key) const;
  std::vector<std::string> get_string_list(const std::string& key) const;
  YAML::Node node(const std::string& key) const;
  const YAML::Node& values() const { return values_; }
  const std::string& section() const { return section_; }

  // "file:line" of a key, or the section name when unknown.
  std::string where(const std::string& key) const;
  // Throws ConfigError("<file:line>: <section>.<key>: <message>").
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  YAML::Node values_;
  std::string section_;
  const SourceMap* sources_ = nullptr;
};

}  // namespace wq
