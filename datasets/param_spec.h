// Builds ParamSpecs without aggregate braces (which warn under -Wextra when trailing
// members are left out) for the dataset registrations.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/registry/registry.h"

namespace wq {

inline ParamSpec dataset_param(std::string name, ParamType type, std::string default_yaml, std::string help,
                               std::vector<std::string> choices = {}, std::optional<double> min = std::nullopt,
                               std::optional<double> max = std::nullopt) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_yaml = std::move(default_yaml);
  spec.help = std::move(help);
  spec.choices = std::move(choices);
  spec.min = min;
  spec.max = max;
  spec.required = spec.default_yaml.empty();
  return spec;
}

// `max_samples`, which sweep.max_samples sets on every run (CI-sized runs of any config).
inline ParamSpec max_samples_param() {
  return dataset_param("max_samples", ParamType::Int, "0",
                       "at most N samples, taken round robin over the tasks; 0 = all", {}, 0, std::nullopt);
}

}  // namespace wq
