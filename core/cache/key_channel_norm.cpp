// ZipCache channel normalisation of keys with power-of-two factors (key_channel_norm.h).
#include "core/cache/key_channel_norm.h"

#include <algorithm>
#include <cmath>

namespace wq::cache {

std::vector<float> key_channel_factors(const std::vector<float>& max_abs) {
  std::vector<float> f(max_abs.size(), 1.0f);
  for (size_t c = 0; c < max_abs.size(); ++c) {
    const float m = max_abs[c];
    if (!(m > 0.0f) || !std::isfinite(m)) continue;
    const int exponent = static_cast<int>(std::lround(0.5 * std::log2(static_cast<double>(m))));
    f[c] = std::ldexp(1.0f, std::clamp(exponent, -14, 15));
  }
  return f;
}

std::vector<float> quantized_channel_abs_max(const float* x, int head_dim, const std::vector<StoredRange>& ranges) {
  std::vector<float> m(static_cast<size_t>(head_dim), 0.0f);
  for (const StoredRange& r : ranges) {
    if (!r.piece && !r.interleaved) continue;
    for (int t = r.begin; t < r.end; ++t) {
      const float* row = x + static_cast<size_t>(t) * head_dim;
      for (int c = 0; c < head_dim; ++c) m[static_cast<size_t>(c)] = std::max(m[static_cast<size_t>(c)], std::abs(row[c]));
    }
  }
  return m;
}

void scale_channels(float* x, int n, const std::vector<float>& factor, bool divide) {
  const size_t d = factor.size();
  for (int t = 0; t < n; ++t)
    for (size_t c = 0; c < d; ++c) {
      float& value = x[static_cast<size_t>(t) * d + c];
      value = divide ? value / factor[c] : value * factor[c];
    }
}

}  // namespace wq::cache
