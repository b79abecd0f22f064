// Qwen2-VL and Qwen2.5-VL behind the VideoLm interface: the checkpoint's processor settings
// (smart_resize, temporal patches), the vision tower's merged tokens, the qwen2_vl chat
// template, and multimodal rotary positions from rope_index (generated tokens continue after
// the prompt's last position, as transformers 5's generate numbers them). Visual token j is temporal group j / (rows * columns) of the merged
// grid. Qwen2.5-VL's temporal scale assumes the processor's default sampling rate (2 fps).
#include <torch/torch.h>

#include "vlm/eval/video_lm.h"
#include "vlm/models/model_config.h"
#include "vlm/models/qwen2_vl.h"

namespace wq::eval {
namespace {

constexpr double kProcessorFps = 2.0;  // Qwen2VLVideoProcessor's default fps

models::Qwen2VL load_qwen2_vl(const ModelOptions& options) {
  const models::LoadOptions load = load_options(options);
  if (!options.random_weights) return models::Qwen2VL::load(options.path, load);
  const models::ModelConfig config = models::load_model_config(options.path);
  if (config.model_type != "qwen2_vl" && config.model_type != "qwen2_5_vl")
    throw std::invalid_argument(options.path + "/config.json: model_type '" + config.model_type +
                                "' is not qwen2_vl or qwen2_5_vl");
  return models::Qwen2VL::random(std::get<models::Qwen2VLConfig>(config.family), load, options.seed);
}

class Qwen2VLLm : public VideoLm {
 public:
  explicit Qwen2VLLm(const ModelOptions& options)
      : model_(load_qwen2_vl(options)),
        processor_(models::load_qwen2_vl_processor_config(options.path)),
        tokenizer_(tokenizer::Tokenizer::from_file(tokenizer_path(options))) {}

  std::string family() const override { return model_.config().is_2_5 ? "qwen2_5_vl" : "qwen2_vl"; }
  const models::Qwen2Decoder& llm() const override { return model_.llm(); }
  const tokenizer::Tokenizer& tokenizer() const override { return tokenizer_; }

  EncodedVideo encode_video(const at::Tensor& frames) const override {
    const models::Qwen2VLVideoInput input = models::preprocess_qwen2_vl_video(frames, processor_);
    const auto merge = model_.config().vision.spatial_merge_size;
    EncodedVideo video;
    video.embeddings = model_.video_embeddings(input.pixel_values.to(llm().device(), llm().dtype()), input.grid);
    video.frames = frames.size(0);
    video.temporal_groups = input.grid.t;
    video.grid_height = input.grid.h / merge;
    video.grid_width = input.grid.w / merge;
    return video;
  }

  VideoPrompt build_prompt(const PromptParts& parts, const EncodedVideo& video) const override {
    VideoPrompt prompt = tokenize_video_prompt(tokenizer_, tokenizer::ChatFormat::qwen2_vl, parts, video,
                                               model_.config().video_token_id);
    std::vector<std::int64_t> ids = prompt.context_ids;
    ids.insert(ids.end(), prompt.query_ids.begin(), prompt.query_ids.end());
    const auto merge = model_.config().vision.spatial_merge_size;
    const models::VideoGrid grid{video.temporal_groups, video.grid_height * merge, video.grid_width * merge};
    const models::RopeIndex rope = model_.rope_index(torch::tensor(ids, torch::kLong).unsqueeze(0), grid,
                                                     models::second_per_grid(kProcessorFps, processor_));
    prompt.positions = rope.positions;
    prompt.position_delta = rope.generation_delta;
    return prompt;
  }

  at::Tensor embed(const std::vector<std::int64_t>& ids, const EncodedVideo& video) const override {
    const at::Tensor tensor = torch::tensor(ids, torch::kLong).unsqueeze(0);
    const bool has_video = std::find(ids.begin(), ids.end(), model_.config().video_token_id) != ids.end();
    return has_video ? model_.embed_prompt(tensor, video.embeddings) : model_.llm().embed(tensor);
  }

  std::vector<std::int64_t> stop_ids() const override {
    std::vector<std::int64_t> ids = model_.config().text.eos_token_ids;
    if (const auto end_of_turn = tokenizer_.token_to_id("<|im_end|>")) ids.push_back(*end_of_turn);
    return ids;
  }

 private:
  models::Qwen2VL model_;
  models::Qwen2VLProcessorConfig processor_;
  tokenizer::Tokenizer tokenizer_;
};

std::unique_ptr<VideoLm> make(const Params& params) { return std::make_unique<Qwen2VLLm>(model_options(params)); }

std::string inspect(const Params& params) { return inspect_checkpoint(params, {"qwen2_vl", "qwen2_5_vl"}); }

const Registration<VideoLm> qwen2_vl{{"qwen2_vl", "Qwen2-VL (ViT with 2-D RoPE, 2x2 merge, M-RoPE LLM)",
                                      model_param_specs(), make, inspect}};
const Registration<VideoLm> qwen2_5_vl{{"qwen2_5_vl", "Qwen2.5-VL (window-attention ViT, M-RoPE LLM)",
                                        model_param_specs(), make, inspect}};

}  // namespace
}  // namespace wq::eval
