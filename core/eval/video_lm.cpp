// The `model` config section: one registry of video LLM families, with shared parameters.
#include "core/eval/video_lm.h"

#include <ATen/ATen.h>

#include <filesystem>

#include "core/config/schema.h"

namespace wq::eval {
namespace {
const bool model_schema_registered = register_section_schema<VideoLm>("model", "name");

ParamSpec model_param(std::string name, ParamType type, std::string default_yaml, std::string help,
                      std::vector<std::string> choices = {}) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_yaml = std::move(default_yaml);
  spec.help = std::move(help);
  spec.choices = std::move(choices);
  spec.required = spec.default_yaml.empty();
  return spec;
}
}  // namespace

std::vector<ParamSpec> model_param_specs() {
  return {
      model_param("path", ParamType::Path, "",
                  "checkpoint folder: config.json, safetensors, tokenizer.json, processor config"),
      model_param("dtype", ParamType::String, "auto", "auto = float32 on CPU, bfloat16 on CUDA",
                  {"auto", "float32", "bfloat16", "float16"}),
      model_param("device", ParamType::String, "auto",
                  "auto = the config's top-level device; or cpu, cuda, cuda:N"),
      model_param("random_weights", ParamType::Bool, "false",
                  "build at config.json's size with random weights (latency/memory runs only; "
                  "results are flagged)"),
      model_param("seed", ParamType::Int, "0", "seed of random_weights"),
      model_param("tokenizer", ParamType::Path, "\"\"", "tokenizer.json; \"\" = <path>/tokenizer.json"),
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

std::string tokenizer_path(const ModelOptions& options) {
  const std::string path =
      options.tokenizer.empty() ? (std::filesystem::path(options.path) / "tokenizer.json").string()
                                : options.tokenizer;
  if (!std::filesystem::exists(path))
    throw std::invalid_argument(path + ": no tokenizer.json (set model.tokenizer)");
  return path;
}

}  // namespace wq::eval
