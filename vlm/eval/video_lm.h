// A video language model as the evaluation protocol sees it (protocol.md steps 2-4): frames
// in, visual embeddings out, the chat-templated prompt split into context and query, and the
// Qwen2 decoder that runs both. One small adapter per family (llava_onevision_lm.cpp, ...)
// registered in VideoLmRegistry under the config's `model.name`.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/registry.h"
#include "datasets/dataset.h"
#include "vlm/models/qwen2.h"
#include "vlm/tokenizer/chat_template.h"
#include "vlm/tokenizer/tokenizer.h"

namespace wq::eval {

// Protocol step 3's output for one video.
struct EncodedVideo {
  at::Tensor embeddings;  // [visual_tokens, hidden], model dtype and device
  std::int64_t frames = 0;            // frames fed to the vision tower
  std::int64_t temporal_groups = 0;   // frames after temporal patching (== frames without it)
  std::int64_t grid_height = 0;       // visual tokens per row of one temporal group
  std::int64_t grid_width = 0;        // visual tokens per column
  std::int64_t visual_tokens() const { return embeddings.defined() ? embeddings.size(0) : 0; }
};

// Protocol step 2's output: token ids and where the visual tokens sit.
struct VideoPrompt {
  std::vector<std::int64_t> context_ids;  // through the last visual token
  std::vector<std::int64_t> query_ids;    // the rest (question, options, answer prefix)
  // Per visual token, in prompt order: position in context_ids, frame (temporal group)
  // index, spatial index inside the frame (row-major over the pooled/merged grid).
  std::vector<std::int32_t> visual_positions;
  std::vector<std::int32_t> frame_index;
  std::vector<std::int32_t> spatial_index;
  // Rotary positions of context + query tokens: [rows, 1, tokens] int64 with rows 1 (1-D
  // RoPE) or 3 (multimodal RoPE); undefined means 0, 1, 2, ...
  at::Tensor positions;
  // Generated token i (0-based, after the prompt) sits at position prompt_tokens + i + delta.
  std::int64_t position_delta = 0;
  std::int64_t tokens() const { return std::int64_t(context_ids.size() + query_ids.size()); }
};

struct ModelOptions {
  std::string path;            // checkpoint folder (config.json, safetensors, tokenizer.json)
  std::string dtype = "auto";  // auto (fp32 on CPU, bf16 on CUDA) | float32 | bfloat16 | float16
  std::string device = "cpu";
  bool random_weights = false;  // build at the config's size without weights (perf runs only)
  std::uint64_t seed = 0;       // random_weights only
  std::string tokenizer;        // tokenizer.json; "" = <path>/tokenizer.json
};

class VideoLm {
 public:
  virtual ~VideoLm() = default;
  virtual std::string family() const = 0;
  virtual const models::Qwen2Decoder& llm() const = 0;
  virtual const tokenizer::Tokenizer& tokenizer() const = 0;
  // frames: uint8 [F, H, W, 3] RGB (CPU) -> preprocessed with the checkpoint's processor
  // settings and encoded by the vision tower.
  virtual EncodedVideo encode_video(const at::Tensor& frames) const = 0;
  // The family's chat template around one video and the dataset's prompt parts.
  virtual VideoPrompt build_prompt(const PromptParts& parts, const EncodedVideo& video) const = 0;
  // Input embeddings [1, ids, hidden] with the video's embeddings over its placeholders
  // (ids may hold none, e.g. the query part).
  virtual at::Tensor embed(const std::vector<std::int64_t>& ids, const EncodedVideo& video) const = 0;
  // Ids that end generation (the config's eos ids and the chat template's end of turn).
  virtual std::vector<std::int64_t> stop_ids() const = 0;
};

using VideoLmRegistry = Registry<VideoLm>;

// Parameters every family's registry entry declares (the `model:` section).
std::vector<ParamSpec> model_param_specs();
// Reads them; device "auto" must have been resolved by the caller (else it means cpu).
ModelOptions model_options(const Params& params);
models::LoadOptions load_options(const ModelOptions& options);
// The registry entries' inspect_inputs: checks that the checkpoint folder holds a config.json
// of one of `model_types`, a processor config, the tokenizer and (unless random_weights)
// safetensors whose headers and shard index agree, without loading weights; returns the
// checkpoint's fingerprint (models/checkpoint_fingerprint.h). Fails through Params::fail.
std::string inspect_checkpoint(const Params& params, const std::vector<std::string>& model_types);
// options.tokenizer, else <path>/tokenizer.json; throws naming the path when absent.
std::string tokenizer_path(const ModelOptions& options);

// The chat template of `format` around one video of video.visual_tokens() placeholders
// (`video_token_id`) and the prompt parts, tokenized and split into context and query; visual
// token j is frame j / (grid_height * grid_width) of the video; tokens past frames * that
// (LLaVA's newline) belong to the last frame with spatial index one past its grid.
VideoPrompt tokenize_video_prompt(const tokenizer::Tokenizer& tokenizer, tokenizer::ChatFormat format,
                                  const PromptParts& parts, const EncodedVideo& video, std::int64_t video_token_id);

}  // namespace wq::eval
