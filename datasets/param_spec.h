// Parameter helpers of the dataset registrations.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/param_spec.h"

namespace wq {

// The datasets' name for the shared builder.
inline ParamSpec dataset_param(std::string name, ParamType type, std::string default_yaml, std::string help,
                               std::vector<std::string> choices = {}, std::optional<double> min = std::nullopt,
                               std::optional<double> max = std::nullopt) {
  return param_spec(std::move(name), type, std::move(default_yaml), std::move(help), std::move(choices), min, max);
}

// `max_samples`, which sweep.max_samples sets on every run (CI-sized runs of any config).
inline ParamSpec max_samples_param() {
  return dataset_param("max_samples", ParamType::Int, "0",
                       "at most N samples, taken round robin over the tasks; 0 = all", {}, 0, std::nullopt);
}

}  // namespace wq
