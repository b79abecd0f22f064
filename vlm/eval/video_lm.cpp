// The `model` config section: one registry of video LLM families, with shared parameters.
#include "vlm/eval/video_lm.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>

#include "core/config/param_spec.h"
#include "core/config/schema.h"
#include "vlm/models/checkpoint_fingerprint.h"
#include "vlm/models/model_config.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/video_preprocess.h"

namespace wq::eval {
namespace {
const bool model_schema_registered = register_section_schema<VideoLm>("model", "name");

}  // namespace

std::vector<ParamSpec> model_param_specs() {
  return {
      param_spec("path", ParamType::Path, "",
                  "checkpoint folder: config.json, safetensors, tokenizer.json, processor config"),
      param_spec("dtype", ParamType::String, "auto", "auto = float32 on CPU, bfloat16 on CUDA",
                  {"auto", "float32", "bfloat16", "float16"}),
      param_spec("device", ParamType::String, "auto",
                  "auto = the config's top-level device; or cpu, cuda, cuda:N"),
      param_spec("random_weights", ParamType::Bool, "false",
                  "build at config.json's size with random weights (latency/memory runs only; "
                  "results are flagged)"),
      param_spec("seed", ParamType::Int, "0", "seed of random_weights"),
      param_spec("tokenizer", ParamType::Path, "\"\"", "tokenizer.json; \"\" = <path>/tokenizer.json"),
  };
}

ModelOptions model_options(const Params& params) {
  ModelOptions o;
  o.path = params.get_string("path");
  o.dtype = params.get_string("dtype");
  o.device = params.get_string("device");
  o.random_weights = params.get_bool("random_weights");
  o.seed = static_cast<std::uint64_t>(params.get_int("seed"));
  o.tokenizer = params.get_string("tokenizer");
  if (o.device == "auto") o.device = "cpu";
  if (!std::filesystem::is_directory(o.path))
    params.fail("path", "'" + o.path + "' is not a checkpoint folder");
  return o;
}

models::LoadOptions load_options(const ModelOptions& options) {
  models::LoadOptions load;
  load.device = options.device;
  const bool cuda = options.device.rfind("cuda", 0) == 0;
  if (options.dtype == "auto") load.dtype = cuda ? at::kBFloat16 : at::kFloat;
  else if (options.dtype == "float32") load.dtype = at::kFloat;
  else if (options.dtype == "bfloat16") load.dtype = at::kBFloat16;
  else if (options.dtype == "float16") load.dtype = at::kHalf;
  else throw std::invalid_argument("model.dtype: unknown '" + options.dtype + "'");
  return load;
}

std::string inspect_checkpoint(const Params& params, const std::vector<std::string>& model_types) {
  const ModelOptions options = model_options(params);
  try {
    const std::string config_file = (std::filesystem::path(options.path) / "config.json").string();
    const models::ModelConfig config = models::load_model_config(config_file);
    if (std::find(model_types.begin(), model_types.end(), config.model_type) == model_types.end()) {
      std::string readable;
      for (const auto& type : model_types) readable += (readable.empty() ? "" : " or ") + type;
      params.fail("path", config_file + " has model_type '" + config.model_type + "'; this model.name reads " + readable);
    }
    std::string tokenizer;
    try {
      tokenizer = tokenizer_path(options);
    } catch (const std::invalid_argument& error) {
      params.fail(options.tokenizer.empty() ? "path" : "tokenizer", error.what());
    }
    const std::vector<std::string> text_files = {config_file, models::read_processor_config_file(options.path).second,
                                                 tokenizer};
    // Random weights are drawn from config.json and the seed: no weight files to read or name.
    const std::vector<std::string> weight_files =
        options.random_weights ? std::vector<std::string>{} : models::Checkpoint::open(options.path).files();
    return models::checkpoint_fingerprint(text_files, weight_files);
  } catch (const models::CheckpointError& error) {
    params.fail("path", error.what());
  }
}

std::string tokenizer_path(const ModelOptions& options) {
  const std::string path =
      options.tokenizer.empty() ? (std::filesystem::path(options.path) / "tokenizer.json").string()
                                : options.tokenizer;
  if (!std::filesystem::exists(path))
    throw std::invalid_argument(path + ": no tokenizer.json (set model.tokenizer)");
  return path;
}

VideoPrompt tokenize_video_prompt(const tokenizer::Tokenizer& tokenizer, tokenizer::ChatFormat format,
                                  const PromptParts& parts, const EncodedVideo& video, std::int64_t video_token_id) {
  tokenizer::VideoQuestion question;
  if (!parts.system.empty()) question.system = parts.system;
  question.question = parts.user;
  question.answer_prefix = parts.answer_prefix;
  tokenizer::VisualExpansion expansion;
  expansion.tokens_per_video = video.visual_tokens();
  expansion.video_token_id = static_cast<tokenizer::TokenId>(video_token_id);
  const tokenizer::TokenizedPrompt tokens =
      tokenizer::tokenize_prompt(tokenizer, format, tokenizer::render_video_question(format, question), expansion);
  VideoPrompt prompt;
  prompt.context_ids.assign(tokens.context.begin(), tokens.context.end());
  prompt.query_ids.assign(tokens.query.begin(), tokens.query.end());
  const auto per_frame = video.grid_height * video.grid_width;
  const auto frames = video.temporal_groups;
  for (const auto& [begin, end] : tokens.visual_ranges) {
    for (auto pos = begin; pos < end; ++pos) {
      const auto j = pos - begin;
      const bool past_grid = j >= frames * per_frame;
      prompt.visual_positions.push_back(static_cast<std::int32_t>(pos));
      prompt.frame_index.push_back(static_cast<std::int32_t>(past_grid ? frames - 1 : j / per_frame));
      prompt.spatial_index.push_back(static_cast<std::int32_t>(past_grid ? per_frame : j % per_frame));
    }
  }
  return prompt;
}

}  // namespace wq::eval
