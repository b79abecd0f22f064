// Name -> factory registries for methods, models, datasets and experiment kinds.
// Every entry declares its parameters (type, default, range, help) so that configs are
// validated before anything runs and `wq list` can print them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config/params.h"

namespace wq {

enum class ParamType { Bool, Int, Float, String, IntList, FloatList, StringList, Path, Map };

const char* param_type_name(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::String;
  std::string default_yaml;  // YAML text of the default; empty with required=true
  std::string help;
  std::optional<double> min;  // inclusive bounds for numbers (and for list elements)
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed values for String / StringList
  bool required = false;
};

template <class Base>
struct RegistryEntry {
  std::string name;
  std::string summary;  // one line for `wq list`
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<Base>(const Params&)> make;
  // Optional: checks the files the entry will read (a dataset's root and layout, a
  // checkpoint's config and safetensors headers) without loading them, failing through
  // Params::fail, and returns their identity ("" = none to record), which becomes part of the
  // run id: the same config over other files is another run.
  std::function<std::string(const Params&)> inspect_inputs = {};
};

// One registry per base class. Entries are added by static Registration objects in the
// file that implements them (linked as OBJECT libraries so the linker keeps them).
template <class Base>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  void add(RegistryEntry<Base> entry) {
    const std::string name = entry.name;
    if (!entries_.emplace(name, std::move(entry)).second)
      throw std::logic_error("duplicate registry entry: " + name);
  }

  const RegistryEntry<Base>* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) out.push_back(name);
    return out;
  }

  // Builds an instance; `params` must already be validated against entry.params.
  std::unique_ptr<Base> make(const std::string& name, const Params& params) const {
    const auto* entry = find(name);
    if (!entry) throw std::invalid_argument("unknown entry: " + name);
    return entry->make(params);
  }

 private:
  std::map<std::string, RegistryEntry<Base>> entries_;
};

template <class Base>
struct Registration {
  explicit Registration(RegistryEntry<Base> entry) {
    Registry<Base>::instance().add(std::move(entry));
  }
};

}  // namespace wq
