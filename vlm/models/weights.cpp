#include "vlm/models/weights.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/cpu/parallel_for.h"

#include "vlm/models/safetensors.h"
#include "vlm/models/safetensors_format.h"

namespace wq::models {
namespace {

// Every value finite: a float is Inf or NaN exactly when its exponent bits are all ones, so
// one scan of the raw words in chunks on all cores. LibTorch's isfinite(t).all() on the host
// costs more than loading the tensor (twice a warm fp32 load, bench_weight_load).
template <class Word>
bool exponent_never_all_ones(const at::Tensor& t, Word exponent_mask) {
  const Word* words = static_cast<const Word*>(t.data_ptr());
  const std::size_t n = static_cast<std::size_t>(t.numel()), chunk = std::size_t(1) << 20;
  const std::size_t chunks = (n + chunk - 1) / chunk;
  std::vector<char> finite(chunks, 1);
  kernels::cpu::parallel_for(chunks, [&](std::size_t c) {
    Word any = 0;  // OR of (word & mask) == mask, branch-free so the loop vectorises
    for (std::size_t i = c * chunk, end = std::min(n, i + chunk); i < end; ++i)
      any |= static_cast<Word>((words[i] & exponent_mask) == exponent_mask);
    finite[c] = any == 0;
  });
  return std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
}

bool all_finite(const at::Tensor& t) {
  if (t.is_cuda()) return torch::isfinite(t).all().item<bool>();  // one pass at device bandwidth
  switch (t.scalar_type()) {
    case at::kFloat: return exponent_never_all_ones<std::uint32_t>(t, 0x7F800000u);
    case at::kBFloat16: return exponent_never_all_ones<std::uint16_t>(t, 0x7F80u);
    case at::kHalf: return exponent_never_all_ones<std::uint16_t>(t, 0x7C00u);
    case at::kDouble: return exponent_never_all_ones<std::uint64_t>(t, 0x7FF0000000000000ull);
    default: return true;  // integer and bool tensors have no non-finite values
  }
}

}  // namespace

at::Tensor WeightLoader::get(const std::string& name, const std::vector<std::int64_t>& shape) const {
  at::Tensor t = checkpoint_.get(name, shape).to(at::Device(options_.device), options_.dtype).contiguous();
  // Checked at the load dtype: a finite weight can also overflow to inf on its way to fp16.
  // A NaN weight otherwise runs to accuracy 0.
  if (!all_finite(t))
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
