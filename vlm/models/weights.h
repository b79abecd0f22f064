// Internal helpers for the model families: checked loading from a checkpoint onto the
// target device/dtype, and random weights at a real config's size (--random-weights).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vlm/models/qwen2.h"

namespace wq::models {

class Checkpoint;

class WeightLoader {
 public:
  WeightLoader(const Checkpoint& checkpoint, const LoadOptions& options)
      : checkpoint_(checkpoint), options_(options) {}
  // Shape-checked tensor converted to the load dtype and device. On CPU at the stored dtype
  // no copy is made: the tensor stays a view of the memory-mapped file.
  at::Tensor get(const std::string& name, const std::vector<std::int64_t>& shape) const;
  const Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  const Checkpoint& checkpoint_;
  LoadOptions options_;
};

// The first of `prefixes` under which `probe` exists (checkpoints of one family name their
// tensors in several layouts); throws missing-tensor naming the first candidate.
std::string pick_prefix(const Checkpoint& checkpoint, const std::vector<std::string>& prefixes,
                        const std::string& probe);

class RandomWeights {
 public:
  RandomWeights(const LoadOptions& options, std::uint64_t seed);
  // N(0, scale^2) with scale = 1/sqrt(fan_in) unless given; fan_in = product of dims 1...
  at::Tensor matrix(const std::vector<std::int64_t>& shape, double scale = -1.0);
  at::Tensor vector(std::int64_t size, double mean, double stddev);

 private:
  LoadOptions options_;
};

}  // namespace wq::models
