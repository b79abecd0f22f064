// The per-group primitive: statistics, codes and dequantization of one group of values.
// quantize.cpp (whole matrices) and the cache's interleaved layout are both built on it, and
// the CUDA kernels mirror dequantize_code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/quant/quant_spec.h"

namespace wq::quant {

// fp16 bits of a group's scale and min (min = 0 and unused when !stores_min(spec)).
struct GroupParams {
  uint16_t scale = 0;
  uint16_t min = 0;
};

// Quantizes n values x[0], x[stride], ..., x[(n-1)·stride] (fp32, finite: throws
// std::invalid_argument otherwise) under spec (any bits but b16) and writes the STORED codes
// codes[0..n) (the unsigned values that go into words: u = t + 1 for ternary, u = code +
// 2^(b-1) - 1 for symmetric). Rounding: std::nearbyint under the default rounding mode,
// i.e. half to even, as torch.round in KIVI; the code is clamped to [0, levels - 1] because
// the fp16-rounded min/scale can put an extreme value a hair outside the grid.
// A group whose scale is 0 (constant group, or an all-zero group) gets codes 0 and
// dequantizes exactly to min (asymmetric) or 0. Throws if scale or min overflow fp16.
GroupParams quantize_group(const float* x, size_t n, size_t stride, const QuantSpec& spec,
                           uint32_t* codes);

// x̂ for one stored code, per docs/packing.md (scale, min already converted to fp32):
//   asymmetric (incl. 1-bit minmax): code·scale + min
//   symmetric:                       (code - (2^(b-1) - 1))·scale
//   ternary:                         (code - 1)·scale
//   1-bit sign_meanabs:              code·scale
float dequantize_code(uint32_t code, float scale, float min, const QuantSpec& spec);


}  // namespace wq::quant
