// Trains the proxy VLM (`wq train-proxy`): a small LLaVA-OneVision (SigLIP + Qwen2, our own
// model code with autograd) on synthetic video-QA drawn in memory, answering in MVBench's
// official prompt format. Writes a checkpoint folder any llava_onevision reader loads:
// model.safetensors, config.json, video_preprocessor_config.json, tokenizer.json,
// train_log.json.
#pragma once

#include <functional>
#include <string>

#include "vlm/train/proxy_options.h"

namespace wq::train {

struct ProxyTrainResult {
  int steps = 0;
  double seconds = 0;
  double heldout_accuracy = 0;  // first-token letter accuracy on held-out in-memory questions
  std::string checkpoint;
};

ProxyTrainResult train_proxy(const ProxyTrainOptions& options, const std::function<void(const std::string&)>& log);

}  // namespace wq::train
