// The `model:` section of a run as the evaluator takes it.
#pragma once

#include "core/config/params.h"
#include "experiments/experiment.h"

namespace wq {

// The validated `model:` section with `device: auto` resolved from the config's top-level
// device. Throws std::invalid_argument naming `kind` when the config has no model: or
// dataset: section.
Params model_section(const RunContext& ctx, const char* kind);

}  // namespace wq
