// What both sources of the sensitivity experiment share: the windows to probe and the width
// a probed window is pushed to (from the experiment's parameters).
#pragma once

#include <memory>

#include "core/cache/plan.h"
#include "core/config/params.h"
#include "core/windowquant/window_probe.h"
#include "experiments/experiment.h"

namespace wq {

struct SensitivityProbe {
  windowquant::WindowUnit unit = windowquant::WindowUnit::frames;
  int window_size = 1;
  windowquant::Similarity similarity = windowquant::Similarity::embedding_cosine;
  cache::TensorPlan key, value;  // low_bits, keys per channel / values per token
};
SensitivityProbe sensitivity_probe(const Params& params);

// source: model: every sample of the dataset through the evaluation protocol.
std::unique_ptr<Experiment> make_model_sensitivity(const Params& params);

}  // namespace wq
