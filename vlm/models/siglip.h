// SigLIP vision tower (transformers' SiglipVisionModel without the pooling head), as used by
// LLaVA-OneVision: conv patch embedding + learned positions, pre-LN encoder layers with
// tanh-GELU MLPs. Features are read from the hidden-state list the config's
// vision_feature_layer indexes: [embeddings, after layer 1, ..., after layer N].
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "vlm/models/model_config.h"
#include "vlm/models/qwen2.h"

namespace wq::models {

class Checkpoint;
class RandomWeights;
struct SiglipWeights;

class SiglipVisionTower {
 public:
  // `prefix` ends with '.', e.g. "vision_tower.vision_model." (released llava-hf files) or
  // "vision_tower." (transformers 5's save_pretrained).
  static SiglipVisionTower load(const Checkpoint& checkpoint, const SiglipVisionConfig& config,
                                const std::string& prefix, const LoadOptions& options);
  static SiglipVisionTower random(const SiglipVisionConfig& config, RandomWeights& random);

  const SiglipVisionConfig& config() const { return config_; }
  // Names relative to the checkpoint prefix ("embeddings.patch_embedding.weight", ...).
  NamedTensors named_tensors() const;

  // pixels: [images, channels, image_size, image_size] (preprocessed) -> for each requested
  // Python-style layer index, [images, patches, hidden] in the model dtype. Stops after the
  // deepest requested layer (LLaVA-OneVision never runs its post-layernorm).
  std::vector<at::Tensor> hidden_states(const at::Tensor& pixels,
                                        const std::vector<std::int64_t>& layers) const;

 private:
  SiglipVisionTower(SiglipVisionConfig config, std::shared_ptr<const SiglipWeights> weights);
  SiglipVisionConfig config_;
  std::shared_ptr<const SiglipWeights> weights_;
};

}  // namespace wq::models
