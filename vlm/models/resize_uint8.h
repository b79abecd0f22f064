// Antialiased resize of uint8 images exactly as PyTorch resizes uint8 tensors (what
// torchvision's resize, and so every transformers 5 torchvision image/video processor, runs on
// CPU): separable, per-axis filter weights computed in double, normalised, then converted to
// int16 fixed point with the largest precision that keeps the largest weight below 2^15; the
// horizontal pass writes a uint8 image (each value (Σ pixel·weight + 2^(p-1)) >> p, clamped to
// 0..255), the vertical pass reads it the same way; an axis whose size does not change is not
// resampled. Authority: aten/src/ATen/native/cpu/UpSampleKernel.cpp
// (compute_index_ranges_int16_weights, basic_loop_aa_horizontal/vertical for uint8) and
// UpSampleKernelAVXAntialias.h, which computes the same values.
#pragma once

#include <cstdint>
#include <vector>

namespace wq::models {

enum class ResizeFilter { Bilinear, Bicubic };  // bicubic: Keys, a = -0.5 (PIL, PyTorch)

// One axis's taps: output i reads input[first[i] .. first[i] + count[i]) with int16 weights
// scaled by 2^precision.
struct FixedPointTaps {
  std::vector<std::int64_t> first, count;
  std::vector<std::int16_t> weights;  // taps_per_output values per output, zero padded
  std::int64_t taps_per_output = 0;
  int precision = 0;
};

FixedPointTaps antialias_taps(std::int64_t in_size, std::int64_t out_size, ResizeFilter filter);

// images: `count` planes of in_height x in_width uint8 (channels are planes: [N, C, H, W]
// contiguous) -> count planes of out_height x out_width.
std::vector<std::uint8_t> resize_uint8_antialias(const std::uint8_t* images, std::int64_t count,
                                                 std::int64_t in_height, std::int64_t in_width,
                                                 std::int64_t out_height, std::int64_t out_width,
                                                 ResizeFilter filter);

}  // namespace wq::models
