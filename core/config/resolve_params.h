// Fills defaults and checks one parameter map against its specs, outside a run's config
// validation: method construction from YAML, dataset.generate, the train-proxy config.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/params.h"
#include "core/config/registry.h"

namespace wq {

// Unknown keys are an error (listing the accepted names), defaults fill the rest, types,
// bounds and choices are checked. Throws std::invalid_argument "<section>.<key>: <problem>".
Params resolve_params(const std::vector<ParamSpec>& specs, const YAML::Node& user, const std::string& section);

}  // namespace wq
