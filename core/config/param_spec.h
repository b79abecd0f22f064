// Builds ParamSpecs without aggregate braces (which warn under -Wextra when trailing members
// are left out), for registrations and option tables. An empty default means required.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/registry.h"

namespace wq {

inline ParamSpec param_spec(std::string name, ParamType type, std::string default_yaml, std::string help,
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

}  // namespace wq
