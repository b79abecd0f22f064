// The schema hook: how validation learns the parameters of methods, models, datasets and
// experiment kinds without core/config depending on their base classes.
//
// Each base-class owner registers its section once, in one .cpp file:
//   static const bool method_schema = wq::register_section_schema<Method>("method", "name");
// Validation then reads Registry<Method> through the type-erased SectionSchema. Tests and
// the fuzzer build their own SchemaSet from test-only registries instead of the global one.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config/params.h"
#include "core/config/registry.h"

namespace wq {

struct SectionSchema {
  std::string section;   // top-level key: "experiment", "method", "model" or "dataset"
  std::string selector;  // key naming the registry entry: "kind" for experiment, else "name"
  // Parameters of one entry, or nullptr when no entry has that name.
  std::function<const std::vector<ParamSpec>*(const std::string& name)> params_of;
  std::function<std::vector<std::string>()> names;  // every registered entry, sorted
  // Optional: builds the entry from its validated parameters, so that the checks an entry
  // makes across its parameters (Params::fail: widths it cannot use, duplicates) are reported
  // by validation, before anything runs. Only for entries whose construction is cheap and
  // reads nothing (methods); empty otherwise.
  std::function<void(const std::string& name, const Params& params)> construct;
  // RegistryEntry::inspect_inputs of the named entry ("" when it has none). Params hold
  // resolved (absolute) paths.
  std::function<std::string(const std::string& name, const Params& params)> inspect_inputs;
};

class SchemaSet {
 public:
  // Adds or replaces the schema of its section. Throws std::logic_error when the section
  // is not one of config_sections() or the selector disagrees with it.
  void add(SectionSchema schema);
  const SectionSchema* find(const std::string& section) const;

 private:
  std::map<std::string, SectionSchema> sections_;
};

// The schemas registered by the linked library (what `wq` validates against).
SchemaSet& global_schemas();

struct SectionInfo {
  const char* section;
  const char* selector;
};
// The four registry-backed sections of a config and their selector keys.
const std::vector<SectionInfo>& config_sections();
// Selector key of a section ("kind", "name"), or nullptr when `section` is not one.
const char* section_selector(const std::string& section);

// A SectionSchema that reads Registry<Base>.
template <class Base>
SectionSchema schema_from_registry(const std::string& section, const std::string& selector, bool construct = false) {
  SectionSchema schema;
  schema.section = section;
  schema.selector = selector;
  schema.params_of = [](const std::string& name) -> const std::vector<ParamSpec>* {
    const auto* entry = Registry<Base>::instance().find(name);
    return entry ? &entry->params : nullptr;
  };
  schema.names = [] { return Registry<Base>::instance().names(); };
  if (construct)
    schema.construct = [](const std::string& name, const Params& params) { Registry<Base>::instance().make(name, params); };
  schema.inspect_inputs = [](const std::string& name, const Params& params) -> std::string {
    const auto* entry = Registry<Base>::instance().find(name);
    return entry && entry->inspect_inputs ? entry->inspect_inputs(params) : std::string();
  };
  return schema;
}

// Registers Registry<Base> as the schema of `section` in global_schemas() (construct: see
// SectionSchema::construct). Returns true so that it can initialise a static bool.
template <class Base>
bool register_section_schema(const std::string& section, const std::string& selector, bool construct = false) {
  global_schemas().add(schema_from_registry<Base>(section, selector, construct));
  return true;
}

}  // namespace wq
