#include "vlm/models/weights.h"

#include <torch/torch.h>

#include <string>

#include "vlm/models/safetensors.h"
#include "vlm/models/safetensors_format.h"

namespace wq::models {

at::Tensor WeightLoader::get(const std::string& name, const std::vector<std::int64_t>& shape) const {
  at::Tensor t = checkpoint_.get(name, shape).to(at::Device(options_.device), options_.dtype).contiguous();
  // Checked at the load dtype: a finite weight can also overflow to inf on its way to fp16.
  // One reduction on the load device per tensor; a NaN weight otherwise runs to accuracy 0.
  if (!torch::isfinite(t).all().item<bool>())
    throw_checkpoint_error(checkpoint_.file_of(name), name,
                           std::string("non-finite values (NaN or Inf) at load dtype ") + c10::toString(options_.dtype));
  return t;
}

RandomWeights::RandomWeights(const LoadOptions& options, std::uint64_t seed) : options_(options) {
  // The global generators: one seed makes the whole model reproducible on one device.
  torch::manual_seed(seed);
}

at::Tensor RandomWeights::matrix(const std::vector<std::int64_t>& shape, double scale) {
  if (scale < 0) {
    std::int64_t fan_in = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    scale = 1.0 / std::sqrt(static_cast<double>(fan_in));
  }
  // Drawn directly on the device in the target dtype: a 7B model must not pass through
  // fp32 host memory.
  const auto opts = torch::TensorOptions().dtype(options_.dtype).device(at::Device(options_.device));
  return torch::randn(shape, opts).mul_(scale);
}

at::Tensor RandomWeights::vector(std::int64_t size, double mean, double stddev) {
  const auto opts = torch::TensorOptions().dtype(options_.dtype).device(at::Device(options_.device));
  return torch::randn({size}, opts).mul_(stddev).add_(mean);
}

std::string pick_prefix(const Checkpoint& ckpt, const std::vector<std::string>& prefixes,
                        const std::string& probe) {
  std::vector<std::string> names;
  for (const auto& p : prefixes) names.push_back(p + probe);
  const std::string found = ckpt.resolve(names);
  return found.substr(0, found.size() - probe.size());
}

}  // namespace wq::models
