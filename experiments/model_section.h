// The `model:` section of a run as the evaluator takes it.
#pragma once

#include "core/cache/segment.h"
#include "core/config/params.h"
#include "experiments/experiment.h"
#include "vlm/eval/evaluator.h"

namespace wq {

// The validated `model:` section with `device: auto` resolved from the config's top-level
// device. Throws std::invalid_argument naming `kind` when the config has no model: or
// dataset: section.
Params model_section(const RunContext& ctx, const char* kind);

// The run's cache.mode: `auto` (and an absent section) is packed where the evaluator's model
// would be packed on its GPU (Evaluator::packs_on_device: a 16-bit model whose head dim the
// CUDA kernels read), simulate otherwise. Recorded in the run's metrics notes as `cache_mode`,
// beside `ran_on`, the device and dtype the model actually ran in (Evaluator::ran_on).
cache::CacheMode cache_mode(const RunContext& ctx, const eval::Evaluator& evaluator);

}  // namespace wq
