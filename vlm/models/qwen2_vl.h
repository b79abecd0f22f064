// Qwen2-VL and Qwen2.5-VL (transformers' Qwen2VLForConditionalGeneration and
// Qwen2_5_VLForConditionalGeneration), video path: the vision tower (qwen2_vl_vision.h) turns
// the processor's patches into merged tokens written over the <|video_pad|> placeholders, and
// the Qwen2 decoder runs with multimodal RoPE positions from rope_index().
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vlm/models/model_config.h"
#include "vlm/models/qwen2.h"
#include "vlm/models/qwen2_vl_preprocess.h"
#include "vlm/models/qwen2_vl_vision.h"

namespace wq::models {

// transformers' get_rope_index for a prompt with at most one video.
struct RopeIndex {
  at::Tensor positions;  // [3, 1, tokens] int64 (CPU): temporal, height, width rows
  // get_rope_index's rope_deltas: max(all positions) + 1 - tokens.
  std::int64_t delta = 0;
  // Generated token i (0-based) sits at tokens + i + generation_delta, i.e. at the last prompt
  // position + 1 + i on all three rows: transformers 5's generate continues from the prompt's
  // last position ids (position_ids[..., -1:] + 1), not from rope_deltas. The two differ when a
  // video's temporal positions (time index x tokens_per_second x seconds per grid) reach past
  // the text after it (docs/models.md).
  std::int64_t generation_delta = 0;
};

class Qwen2VL {
 public:
  // A checkpoint folder (config.json model_type qwen2_vl or qwen2_5_vl + safetensors) with
  // the released tensor names (model.*, visual.*) or transformers 5's (model.language_model.*,
  // model.visual.*).
  static Qwen2VL load(const std::string& folder, const LoadOptions& options);
  // Random weights at the config's size (latency / memory runs only).
  static Qwen2VL random(const Qwen2VLConfig& config, const LoadOptions& options, std::uint64_t seed);

  const Qwen2VLConfig& config() const { return config_; }
  const Qwen2Decoder& llm() const { return llm_; }
  const Qwen2VLVisionTower& vision() const { return vision_; }

  // Placeholder tokens a video of this grid takes: t * h * w / merge^2.
  std::int64_t video_token_count(const VideoGrid& grid) const;
  // The processor's pixel_values_videos for one video -> [video_token_count(grid), hidden].
  at::Tensor video_embeddings(const at::Tensor& pixel_values, const VideoGrid& grid) const;
  // ids [1, tokens] -> [1, tokens, hidden]: text embeddings with the video embeddings written
  // over the video_token_id placeholders in order; throws when the counts differ.
  at::Tensor embed_prompt(const at::Tensor& ids, const at::Tensor& video_embeddings) const;

  // Multimodal rotary positions of ids [1, tokens]. Text tokens advance all three rows by one;
  // the video's placeholders (one contiguous run of video_token_count(grid) tokens) get
  // start + (temporal index * interval, merged row, merged column), and the text after it
  // resumes at start + max(merged rows, merged columns). interval is 1 for Qwen2-VL and
  // tokens_per_second * int(second_per_grid_t) for Qwen2.5-VL (transformers 5.17 truncates
  // second_per_grid_t to an integer).
  RopeIndex rope_index(const at::Tensor& ids, const VideoGrid& grid,
                       double second_per_grid_t = 1.0) const;

  // Greedy decoding after a prompt [1, tokens, hidden] placed at `rope`'s positions.
  std::vector<std::int64_t> greedy_generate(const at::Tensor& prompt_embeds, const RopeIndex& rope,
                                            std::int64_t max_new_tokens,
                                            const std::vector<std::int64_t>& stop_ids = {}) const;

 private:
  Qwen2VL(Qwen2VLConfig config, Qwen2Decoder llm, Qwen2VLVisionTower vision);
  Qwen2VLConfig config_;
  Qwen2Decoder llm_;
  Qwen2VLVisionTower vision_;
};

}  // namespace wq::models
