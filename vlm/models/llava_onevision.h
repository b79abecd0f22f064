// LLaVA-OneVision (transformers' llava_onevision), video path: SigLIP features from
// vision_feature_layer (strategy "full" keeps every patch), the 2-layer GELU projector, then
// 2x2 bilinear pooling per frame (27x27 -> 14x14 at 384/14), and the image_newline embedding
// appended once after the whole video. The LLM is a Qwen2Decoder.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

#include "vlm/models/model_config.h"
#include "vlm/models/qwen2.h"
#include "vlm/models/siglip.h"

namespace wq::models {

struct LlavaProjector;

class LlavaOnevision {
 public:
  // A checkpoint folder: config.json + safetensors, with either the released llava-hf
  // tensor names (language_model.model.*, vision_tower.vision_model.*) or transformers 5's
  // (model.language_model.*, model.vision_tower.*).
  static LlavaOnevision load(const std::string& folder, const LoadOptions& options);
  // Random weights at the config's size (latency / memory runs only).
  static LlavaOnevision random(const LlavaOnevisionConfig& config, const LoadOptions& options,
                               std::uint64_t seed);

  const LlavaOnevisionConfig& config() const { return config_; }
  const Qwen2Decoder& llm() const { return llm_; }
  const SiglipVisionTower& vision() const { return vision_; }
  // Every parameter under the released llava-hf names (language_model.model.*,
  // language_model.lm_head.weight, vision_tower.vision_model.*, multi_modal_projector.*,
  // image_newline): what load() reads back.
  NamedTensors named_tensors() const;

  // Pooled tokens per frame: ceil(grid/2)^2 (196 for 384 px / 14 px patches).
  std::int64_t tokens_per_frame() const;
  // Placeholder tokens a video of `frames` frames takes in the prompt: frames * 196 + 1.
  std::int64_t video_token_count(std::int64_t frames) const;

  // pixel_values: [frames, 3, S, S] preprocessed frames of one video ->
  // [frames * tokens_per_frame, hidden]: projected and pooled, no newline.
  at::Tensor video_features(const at::Tensor& pixel_values) const;
  // video_features with image_newline appended: [video_token_count(frames), hidden].
  at::Tensor video_embeddings(const at::Tensor& pixel_values) const;

  // ids: [1, tokens] with video_token_id placeholders -> [1, tokens, hidden]: text embeddings
  // with the video embeddings written over the placeholders in order. Throws when the
  // placeholder count differs from video_embeddings' rows.
  at::Tensor embed_prompt(const at::Tensor& ids, const at::Tensor& video_embeddings) const;

 private:
  LlavaOnevision(LlavaOnevisionConfig config, Qwen2Decoder llm, SiglipVisionTower vision,
                 std::shared_ptr<const LlavaProjector> projector);
  LlavaOnevisionConfig config_;
  Qwen2Decoder llm_;
  SiglipVisionTower vision_;
  std::shared_ptr<const LlavaProjector> projector_;
};

}  // namespace wq::models
