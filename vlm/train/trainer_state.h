// What `wq train-proxy --resume` needs: the fp32 weights (model.safetensors may be saved
// narrower), the AdamW moments and step of every parameter, and the progress (steps, seconds
// of the schedule); the history stays in train_log.json. Written next to model.safetensors as
// trainer_state-NNNNN.safetensors shards of at most kShardBytes (each file must come back
// from a GPU call on its own) and trainer_state.json.
#pragma once

#include <torch/optim/adamw.h>

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "vlm/models/qwen2.h"

namespace wq::train {

constexpr std::size_t kShardBytes = std::size_t(15) << 20;

struct TrainerProgress {
  int step = 0;         // optimizer steps taken
  double seconds = 0;   // training time of all calls so far (the time schedule's clock)
  nlohmann::json run;   // what the weights depend on (seed, data, model); resuming checks it
};

// params: the optimizer's parameters by name (fp32). moments_dtype: kFloat resumes bit-exact;
// kBFloat16 halves the moments' bytes (what has to travel to a GPU call) and rounds them once
// per save. Shards of earlier saves are removed.
void save_trainer_state(const std::string& folder, const models::NamedTensors& params,
                        const torch::optim::AdamW& optimizer, const TrainerProgress& progress,
                        at::ScalarType moments_dtype);

// The progress saved in folder (read before anything is written there). Throws
// std::invalid_argument naming the file when it is missing or was written for another `run`
// than expected_run.
TrainerProgress read_trainer_progress(const std::string& folder, const nlohmann::json& expected_run);

// Restores the weights (into params, in place) and the moments. Throws std::invalid_argument
// naming the file when a parameter is missing.
void load_trainer_state(const std::string& folder, const models::NamedTensors& params,
                        torch::optim::AdamW& optimizer);

}  // namespace wq::train
