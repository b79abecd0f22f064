// Helpers of the GPU kernel suite: random fp16 data, a device tensor with host twin, relative
// error (METHOD.md: ‖out − ref‖ / ‖ref‖), and a tiny pass/fail/skip ledger (the suite runs on
// the GPU machine without GoogleTest).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/quant/half.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_cache.cuh"

namespace wq::kernels::gpu_test {

struct ledger {
  int passed = 0, failed = 0, skipped = 0;
  void pass(const std::string& name, const std::string& detail) {
    ++passed;
    std::printf("PASS  %-58s %s\n", name.c_str(), detail.c_str());
  }
  void fail(const std::string& name, const std::string& detail) {
    ++failed;
    std::printf("FAIL  %-58s %s\n", name.c_str(), detail.c_str());
  }
  void skip(const std::string& name, const std::string& why) {
    ++skipped;
    std::printf("SKIP  %-58s %s\n", name.c_str(), why.c_str());
  }
};

inline uint16_t bf16_bits(float v) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_value(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// n values ~ N(0, 1)·scale with a few outlier channels (keys have them), stored as 16-bit bits.
inline std::vector<uint16_t> random_bits(std::mt19937& rng, size_t n, int channels, float scale, bool bf16,
                                         bool outlier_channels) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<uint16_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    float x = nd(rng) * scale;
    if (outlier_channels && (i % channels) % 17 == 3) x = x * 8.0f + 2.0f;
    out[i] = bf16 ? bf16_bits(x) : quant::float_to_half(x);
  }
  return out;
}

inline std::vector<float> to_float(const std::vector<uint16_t>& b, bool bf16) {
  std::vector<float> f(b.size());
  for (size_t i = 0; i < b.size(); ++i) f[i] = bf16 ? bf16_value(b[i]) : quant::half_to_float(b[i]);
  return f;
}

inline device_buffer upload(const void* host, size_t bytes) {
  device_buffer d(bytes);
  if (bytes) WQ_CUDA_CHECK(cudaMemcpy(d.get(), host, bytes, cudaMemcpyHostToDevice));
  return d;
}

template <class T>
std::vector<T> download(const device_buffer& d, size_t count) {
  std::vector<T> h(count);
  if (count) WQ_CUDA_CHECK(cudaMemcpy(h.data(), d.get(), count * sizeof(T), cudaMemcpyDeviceToHost));
  return h;
}

// Relative Frobenius error; NaN when any output is not finite (NaN never passes).
inline double relative_error(const std::vector<float>& out, const std::vector<float>& ref) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i])) return NAN;
    const double d = static_cast<double>(out[i]) - ref[i];
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(num / (den > 0 ? den : 1.0));
}

}  // namespace wq::kernels::gpu_test
