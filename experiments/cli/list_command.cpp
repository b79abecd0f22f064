#include "experiments/cli/list_command.h"

#include <cstdio>

#include "core/config/schema.h"

namespace wq {
namespace {

std::string singular(std::string what) {
  if (what == "experiments" || what == "methods" || what == "models" || what == "datasets")
    what.pop_back();
  return what;
}

std::string range_text(const ParamSpec& spec) {
  std::string text;
  auto number = [](double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g", value);
    return std::string(buffer);
  };
  if (spec.min && spec.max) text = "[" + number(*spec.min) + ", " + number(*spec.max) + "]";
  else if (spec.min) text = ">= " + number(*spec.min);
  else if (spec.max) text = "<= " + number(*spec.max);
  if (!spec.choices.empty()) {
    text += text.empty() ? "one of " : "; one of ";
    for (size_t i = 0; i < spec.choices.size(); ++i) text += (i ? "|" : "") + spec.choices[i];
  }
  return text;
}

}  // namespace

bool print_registry_listing(const std::string& what) {
  const std::string section = singular(what);
  const SectionSchema* schema = global_schemas().find(section);
  if (!schema) return false;
  // The section schema exposes names and params; the one-line summaries live in the params'
  // owner registries, which the schema keeps type-erased, so only parameters are listed.
  for (const auto& name : schema->names()) {
    std::printf("%s: %s\n", schema->selector.c_str(), name.c_str());
    const auto* params = schema->params_of(name);
    if (!params || params->empty()) {
      std::printf("    (no parameters)\n");
      continue;
    }
    for (const auto& spec : *params) {
      const std::string fallback = spec.required ? "required" : "default " + spec.default_yaml;
      const std::string range = range_text(spec);
      std::printf("    %-22s %-10s %-18s %s%s%s\n", spec.name.c_str(), param_type_name(spec.type),
                  fallback.c_str(), spec.help.c_str(), range.empty() ? "" : "  ",
                  range.empty() ? "" : ("(" + range + ")").c_str());
    }
  }
  return true;
}

}  // namespace wq
