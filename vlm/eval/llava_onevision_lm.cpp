// LLaVA-OneVision behind the VideoLm interface: the checkpoint's video processor settings,
// SigLIP + projector + pooling + one newline embedding, and the llava_onevision chat template.
// Visual token j of a video is frame j / tokens_per_frame; the trailing newline embedding
// counts as a visual token of the last frame (spatial index one past its grid).
#include "vlm/eval/llava_onevision_lm.h"

#include <torch/torch.h>

#include "vlm/models/model_config.h"

namespace wq::eval {
namespace {

models::LlavaOnevision load_llava(const ModelOptions& options) {
  const models::LoadOptions load = load_options(options);
  if (!options.random_weights) return models::LlavaOnevision::load(options.path, load);
  const models::ModelConfig config = models::load_model_config(options.path);
  if (config.model_type != "llava_onevision")
    throw std::invalid_argument(options.path + "/config.json: model_type '" + config.model_type +
                                "' is not llava_onevision");
  return models::LlavaOnevision::random(std::get<models::LlavaOnevisionConfig>(config.family), load,
                                        options.seed);
}

}  // namespace

LlavaOnevisionLm::LlavaOnevisionLm(const ModelOptions& options)
    : LlavaOnevisionLm(load_llava(options), models::load_video_processor_config(options.path),
                       tokenizer::Tokenizer::from_file(tokenizer_path(options))) {}

LlavaOnevisionLm::LlavaOnevisionLm(models::LlavaOnevision model, models::VideoProcessorConfig processor,
                                   tokenizer::Tokenizer tokenizer)
    : model_(std::move(model)), processor_(std::move(processor)), tokenizer_(std::move(tokenizer)) {}

const models::Qwen2Decoder& LlavaOnevisionLm::llm() const { return model_.llm(); }

EncodedVideo LlavaOnevisionLm::encode_video(const at::Tensor& frames) const {
  const at::Tensor pixels = models::preprocess_video(frames, processor_).to(model_.llm().device(), model_.llm().dtype());
  return describe_video(model_.video_embeddings(pixels), frames.size(0));
}

EncodedVideo LlavaOnevisionLm::describe_video(at::Tensor embeddings, std::int64_t frames) const {
  EncodedVideo video;
  video.embeddings = std::move(embeddings);
  video.frames = video.temporal_groups = frames;
  video.grid_height = video.grid_width = (model_.config().vision.grid() + 1) / 2;
  return video;
}

VideoPrompt LlavaOnevisionLm::build_prompt(const PromptParts& parts, const EncodedVideo& video) const {
  return tokenize_video_prompt(tokenizer_, tokenizer::ChatFormat::llava_onevision, parts, video,
                               model_.config().video_token_id);
}

at::Tensor LlavaOnevisionLm::embed(const std::vector<std::int64_t>& ids, const EncodedVideo& video) const {
  const at::Tensor tensor = torch::tensor(ids, torch::kLong).unsqueeze(0);
  const auto video_id = model_.config().video_token_id;
  const bool has_video = std::find(ids.begin(), ids.end(), video_id) != ids.end();
  return has_video ? model_.embed_prompt(tensor, video.embeddings) : model_.llm().embed(tensor);
}

std::vector<std::int64_t> LlavaOnevisionLm::stop_ids() const {
  std::vector<std::int64_t> ids = model_.config().text.eos_token_ids;
  if (const auto end_of_turn = tokenizer_.token_to_id("<|im_end|>")) ids.push_back(*end_of_turn);
  return ids;
}

namespace {

const Registration<VideoLm> registration{{
    "llava_onevision",
    "LLaVA-OneVision (SigLIP + Qwen2), transformers' llava_onevision video path",
    model_param_specs(),
    [](const Params& params) -> std::unique_ptr<VideoLm> {
      return std::make_unique<LlavaOnevisionLm>(model_options(params));
    },
    [](const Params& params) { return inspect_checkpoint(params, {"llava_onevision"}); },
}};

}  // namespace
}  // namespace wq::eval
