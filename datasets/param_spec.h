// Parameter helpers of the dataset registrations.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config/param_spec.h"
#include "datasets/dataset.h"

namespace wq {

// The datasets' name for the shared builder.
inline ParamSpec dataset_param(std::string name, ParamType type, std::string default_yaml, std::string help,
                               std::vector<std::string> choices = {}, std::optional<double> min = std::nullopt,
                               std::optional<double> max = std::nullopt) {
  return param_spec(std::move(name), type, std::move(default_yaml), std::move(help), std::move(choices), min, max);
}

// The parameters every dataset has: `max_samples`, which sweep.max_samples sets on every run
// (CI-sized runs of any config), and `max_failed_samples`, the failed samples (unreadable
// videos) a run may have and still be `complete`; with more it is recorded as `partial`.
inline std::vector<ParamSpec> sample_count_params() {
  return {dataset_param("max_samples", ParamType::Int, "0",
                        "at most N samples, taken round robin over the tasks; 0 = all", {}, 0, std::nullopt),
          dataset_param("max_failed_samples", ParamType::Int, "0",
                        "failed samples a run may have and still be complete; more: status partial", {}, 0,
                        std::nullopt)};
}

// inspect_inputs (core/config/registry.h) of a dataset whose construction reads its root and
// annotations but no video: builds it once, so that a missing root, task file or annotation
// file is a config error on dataset.root before anything runs. Nothing to add to the run id.
template <class Make>
std::function<std::string(const Params&)> inspect_by_building(Make make) {
  return [make](const Params& params) -> std::string {
    try {
      make(params);
    } catch (const DatasetError& error) {
      params.fail("root", error.what());
    }
    return "";
  };
}

}  // namespace wq
