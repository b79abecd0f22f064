// The `model:` section of a run as the evaluator takes it.
#pragma once

#include "core/cache/segment.h"
#include "core/config/params.h"
#include "experiments/experiment.h"

namespace wq {

// The validated `model:` section with `device: auto` resolved from the config's top-level
// device. Throws std::invalid_argument naming `kind` when the config has no model: or
// dataset: section.
Params model_section(const RunContext& ctx, const char* kind);

// The run's cache.mode for the validated `model:` section (model_section): `auto` (and an
// absent section) is packed for a 16-bit model on a GPU (what the CUDA kernels read),
// simulate otherwise. Recorded in the run's metrics notes as `cache_mode`.
cache::CacheMode cache_mode(const RunContext& ctx, const Params& model);

}  // namespace wq
