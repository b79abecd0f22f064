// Trains the proxy VLM (`wq train-proxy`): a small LLaVA-OneVision (SigLIP + Qwen2, our own
// model code with autograd) on synthetic video-QA drawn in memory, answering in MVBench's
// official prompt format. Writes a checkpoint folder any llava_onevision reader loads:
// model.safetensors, config.json, video_preprocessor_config.json, tokenizer.json,
// train_log.json; beside them the trainer state (trainer_state.h) that `call.resume`
// continues from, so a training can run as several time-limited calls.
#pragma once

#include <functional>
#include <string>

#include "vlm/train/proxy_options.h"

namespace wq::train {

struct ProxyTrainResult {
  int steps = 0;       // over all calls
  double seconds = 0;  // training time over all calls
  double heldout_accuracy = 0;  // first-token letter accuracy on held-out in-memory questions
  std::string checkpoint;
};

ProxyTrainResult train_proxy(const ProxyTrainOptions& options, const std::function<void(const std::string&)>& log);

}  // namespace wq::train
