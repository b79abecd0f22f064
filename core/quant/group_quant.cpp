// Per-group statistics and codes (see group_quant.h for the rules).
#include "core/quant/group_quant.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/quant/half.h"

namespace wq::quant {

namespace {

// fp16 bits of a statistic, refusing values that do not fit (they would dequantize to inf).
uint16_t to_half_checked(float value, const char* what) {
  if (!(std::fabs(value) <= kHalfMax)) {
    std::ostringstream os;
    os << "quantize: group " << what << " " << value << " exceeds the fp16 range (|x| <= 65504)";
    throw std::invalid_argument(os.str());
  }
  return float_to_half(value);
}

void check_finite(const float* x, size_t n, size_t stride) {
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i * stride];
    if (!std::isfinite(v)) {
      std::ostringstream os;
      os << "quantize: non-finite value " << v << " at element " << i << " of a group";
      throw std::invalid_argument(os.str());
    }
  }
}

uint32_t clamp_code(float c, float hi) {
  // NaN cannot reach here (finite inputs, scale > 0); clamp documents the fp16 grid shift.
  return static_cast<uint32_t>(std::min(std::max(c, 0.0f), hi));
}

GroupParams quantize_ternary(const float* x, size_t n, size_t stride, const QuantSpec& spec,
                             uint32_t* codes) {
  double sum_abs = 0.0, max_abs = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double a = std::fabs(x[i * stride]);
    sum_abs += a;
    max_abs = std::max(max_abs, a);
  }
  const double threshold = spec.ternary.gamma * (sum_abs / n);
  double sum_nonzero = 0.0;
  size_t count_nonzero = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i * stride];
    int t = 0;
    if (v > threshold) t = 1;
    else if (v < -threshold) t = -1;
    codes[i] = static_cast<uint32_t>(t + 1);
    if (t != 0) {
      sum_nonzero += std::fabs(v);
      ++count_nonzero;
    }
  }
  double scale = 0.0;
  switch (spec.ternary.scale_rule) {
    case TernaryScaleRule::mean_abs_nonzero: scale = count_nonzero ? sum_nonzero / count_nonzero : 0.0; break;
    case TernaryScaleRule::mean_abs: scale = sum_abs / n; break;
    case TernaryScaleRule::max_abs: scale = max_abs; break;
    case TernaryScaleRule::unit: scale = 1.0; break;
  }
  return {to_half_checked(static_cast<float>(scale), "scale"), 0};
}

GroupParams quantize_sign_meanabs(const float* x, size_t n, size_t stride, uint32_t* codes) {
  double sum_abs = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i * stride];
    sum_abs += std::fabs(v);
    codes[i] = v >= 0.0f ? 1u : 0u;
  }
  return {to_half_checked(static_cast<float>(sum_abs / n), "scale"), 0};
}

GroupParams quantize_symmetric(const float* x, size_t n, size_t stride, int bits, uint32_t* codes) {
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  float amax = 0.0f;
  for (size_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i * stride]));
  const uint16_t s16 = to_half_checked(amax / qmax, "scale");
  const float s = half_to_float(s16);
  for (size_t i = 0; i < n; ++i) {
    const float q = s == 0.0f ? 0.0f : std::nearbyint(x[i * stride] / s);
    codes[i] = clamp_code(q + qmax, 2.0f * qmax);
  }
  return {s16, 0};
}

GroupParams quantize_minmax(const float* x, size_t n, size_t stride, int bits, ComputeMode mode,
                            uint32_t* codes) {
  const float top = static_cast<float>((1u << bits) - 1u);
  if (mode == ComputeMode::fp16) {
    // KIVI: the tensor is fp16, so every torch op rounds its result to fp16.
    float lo = round_to_half(x[0]), hi = lo;
    for (size_t i = 1; i < n; ++i) {
      const float v = round_to_half(x[i * stride]);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    const float s = round_to_half(round_to_half(hi - lo) / top);
    const uint16_t s16 = to_half_checked(s, "scale"), m16 = to_half_checked(lo, "min");
    for (size_t i = 0; i < n; ++i) {
      if (s == 0.0f) {  // KIVI would compute 0/0 here; we store code 0 (exact: x = min)
        codes[i] = 0;
        continue;
      }
      const float q = round_to_half(round_to_half(round_to_half(x[i * stride]) - lo) / s);
      codes[i] = static_cast<uint32_t>(std::nearbyint(std::min(std::max(q, 0.0f), top)));
    }
    return {s16, m16};
  }
  float lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; ++i) {
    lo = std::min(lo, x[i * stride]);
    hi = std::max(hi, x[i * stride]);
  }
  const uint16_t s16 = to_half_checked((hi - lo) / top, "scale");
  const uint16_t m16 = to_half_checked(lo, "min");
  // Codes are computed against the stored fp16 scale and min, so the dequantizer reproduces
  // the grid the codes were chosen on.
  const float s = half_to_float(s16), m = half_to_float(m16);
  for (size_t i = 0; i < n; ++i) {
    codes[i] = s == 0.0f ? 0u : clamp_code(std::nearbyint((x[i * stride] - m) / s), top);
  }
  return {s16, m16};
}

}  // namespace

GroupParams quantize_group(const float* x, size_t n, size_t stride, const QuantSpec& spec,
                           uint32_t* codes) {
  if (n == 0) throw std::invalid_argument("quantize_group: empty group");
  check_finite(x, n, stride);
  switch (spec.bits) {
    case QuantBits::b16:
      throw std::invalid_argument("quantize_group: b16 is a passthrough, not a group format");
    case QuantBits::b1_58:
      return quantize_ternary(x, n, stride, spec, codes);
    case QuantBits::b1:
      if (spec.one_bit_rule == OneBitRule::sign_meanabs) return quantize_sign_meanabs(x, n, stride, codes);
      return quantize_minmax(x, n, stride, 1, spec.compute, codes);
    default: {
      const int bits = integer_bits(spec.bits);
      if (spec.symmetric) return quantize_symmetric(x, n, stride, bits, codes);
      return quantize_minmax(x, n, stride, bits, spec.compute, codes);
    }
  }
}

float dequantize_code(uint32_t code, float scale, float min, const QuantSpec& spec) {
  const float c = static_cast<float>(code);
  if (spec.bits == QuantBits::b1_58) return (c - 1.0f) * scale;
  if (spec.bits == QuantBits::b1 && spec.one_bit_rule == OneBitRule::sign_meanabs) return c * scale;
  if (spec.symmetric) {
    const float offset = static_cast<float>((1 << (integer_bits(spec.bits) - 1)) - 1);
    return (c - offset) * scale;
  }
  return c * scale + min;
}

}  // namespace wq::quant
