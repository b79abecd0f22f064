// The synthetic-cache knobs as config parameters, shared by the experiments that generate
// synthetic KV (kv_fidelity, search_cost, sensitivity).
#pragma once

#include <vector>

#include "core/config/params.h"
#include "core/config/registry.h"
#include "experiments/synthetic_kv.h"

namespace wq {

std::vector<ParamSpec> synthetic_kv_param_specs();
// Reads the parameters declared by synthetic_kv_param_specs() (seed excluded: per sample).
SyntheticKvOptions synthetic_kv_options(const Params& params);

}  // namespace wq
