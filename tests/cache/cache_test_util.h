// Shared helpers of the cache tests: deterministic random K/V.
#pragma once

#include <random>
#include <vector>

namespace wq::cache::testing {

inline std::vector<float> random_matrix(size_t count, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(count);
  for (auto& v : x) v = dist(rng);
  return x;
}

}  // namespace wq::cache::testing
