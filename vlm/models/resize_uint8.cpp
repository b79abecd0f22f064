#include "vlm/models/resize_uint8.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel_for.h"

namespace wq::models {
namespace {

double filter_value(double x, ResizeFilter filter) {
  x = std::abs(x);
  if (filter == ResizeFilter::Bilinear) return x < 1.0 ? 1.0 - x : 0.0;
  constexpr double a = -0.5;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// One pass along an axis of `length` inputs read at `stride`: out = taps · in, fixed point.
inline std::uint8_t tap_sum(const std::uint8_t* in, std::int64_t stride, const FixedPointTaps& taps, std::int64_t i) {
  const std::int16_t* w = taps.weights.data() + i * taps.taps_per_output;
  const std::uint8_t* src = in + taps.first[i] * stride;
  int acc = 1 << (taps.precision - 1);
  for (std::int64_t j = 0; j < taps.count[i]; ++j) acc += int(src[j * stride]) * int(w[j]);
  return static_cast<std::uint8_t>(std::clamp(acc >> taps.precision, 0, 255));
}

}  // namespace

FixedPointTaps antialias_taps(std::int64_t in_size, std::int64_t out_size, ResizeFilter filter) {
  const double interp_size = filter == ResizeFilter::Bilinear ? 2.0 : 4.0;
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double support = scale >= 1.0 ? interp_size * 0.5 * scale : interp_size * 0.5;
  const double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
  FixedPointTaps taps;
  taps.taps_per_output = static_cast<std::int64_t>(std::ceil(support)) * 2 + 1;
  std::vector<double> weights(static_cast<std::size_t>(out_size * taps.taps_per_output), 0.0);
  double max_weight = 0.0;
  for (std::int64_t i = 0; i < out_size; ++i) {
    const double center = scale * (static_cast<double>(i) + 0.5);
    const std::int64_t first = std::max<std::int64_t>(static_cast<std::int64_t>(center - support + 0.5), 0);
    const std::int64_t count = std::clamp<std::int64_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(center + support + 0.5), in_size) - first, 0,
        taps.taps_per_output);
    double* w = weights.data() + i * taps.taps_per_output;
    double total = 0.0;
    for (std::int64_t j = 0; j < count; ++j) {
      w[j] = filter_value((static_cast<double>(j + first) - center + 0.5) * invscale, filter);
      total += w[j];
    }
    for (std::int64_t j = 0; j < count; ++j) {
      if (total != 0.0) w[j] /= total;
      max_weight = std::max(max_weight, w[j]);
    }
    taps.first.push_back(first);
    taps.count.push_back(count);
  }
  // The largest precision (< 22 bits) whose scaled largest weight still fits int16.
  int precision = 0;
  for (; precision < 22; ++precision)
    if (static_cast<int>(0.5 + max_weight * (1 << (precision + 1))) >= (1 << 15)) break;
  taps.precision = precision;
  taps.weights.reserve(weights.size());
  for (double w : weights) {
    const double v = w * (1 << precision);
    taps.weights.push_back(static_cast<std::int16_t>(v < 0 ? static_cast<int>(-0.5 + v) : static_cast<int>(0.5 + v)));
  }
  return taps;
}

std::vector<std::uint8_t> resize_uint8_antialias(const std::uint8_t* images, std::int64_t count,
                                                 std::int64_t in_height, std::int64_t in_width,
                                                 std::int64_t out_height, std::int64_t out_width,
                                                 ResizeFilter filter) {
  const bool horizontal = out_width != in_width, vertical = out_height != in_height;
  const FixedPointTaps across = horizontal ? antialias_taps(in_width, out_width, filter) : FixedPointTaps{};
  const FixedPointTaps down = vertical ? antialias_taps(in_height, out_height, filter) : FixedPointTaps{};
  std::vector<std::uint8_t> out(static_cast<std::size_t>(count * out_height * out_width));
  kernels::cpu::parallel_for(static_cast<std::size_t>(count), [&](std::size_t plane) {
    const std::uint8_t* in = images + plane * in_height * in_width;
    // Horizontal pass first, into a uint8 image of in_height x out_width.
    std::vector<std::uint8_t> rows;
    if (horizontal) {
      rows.resize(static_cast<std::size_t>(in_height * out_width));
      for (std::int64_t y = 0; y < in_height; ++y)
        for (std::int64_t x = 0; x < out_width; ++x) rows[y * out_width + x] = tap_sum(in + y * in_width, 1, across, x);
    } else {
      rows.assign(in, in + in_height * in_width);
    }
    std::uint8_t* dst = out.data() + plane * out_height * out_width;
    if (!vertical) {
      std::copy(rows.begin(), rows.end(), dst);
      return;
    }
    for (std::int64_t y = 0; y < out_height; ++y)
      for (std::int64_t x = 0; x < out_width; ++x) dst[y * out_width + x] = tap_sum(rows.data() + x, out_width, down, y);
  });
  return out;
}

}  // namespace wq::models
