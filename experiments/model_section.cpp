#include "experiments/model_section.h"

#include <stdexcept>
#include <string>

namespace wq {

Params model_section(const RunContext& ctx, const char* kind) {
  for (const char* section : {"model", "dataset"})
    if (!ctx.config[section])
      throw std::invalid_argument(std::string(kind) + ": the config has no " + section + ": section");
  YAML::Node model = YAML::Clone(ctx.config["model"]);
  if (!model["device"] || model["device"].as<std::string>() == "auto")
    model["device"] = ctx.config["device"] ? ctx.config["device"].as<std::string>() : "cpu";
  return Params(model, "model", ctx.sources);
}

cache::CacheMode cache_mode(const RunContext& ctx, const eval::Evaluator& evaluator) {
  const YAML::Node node = ctx.config["cache"] ? ctx.config["cache"]["mode"] : YAML::Node();
  const std::string mode = node ? node.as<std::string>() : "auto";
  const bool packed = mode == "packed" || (mode == "auto" && evaluator.packs_on_device());
  ctx.record.metric_notes["cache_mode"] = packed ? "packed" : "simulate";
  ctx.record.metric_notes["ran_on"] = evaluator.ran_on();
  return packed ? cache::CacheMode::packed : cache::CacheMode::simulate;
}

}  // namespace wq
