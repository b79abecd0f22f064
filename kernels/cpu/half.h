// IEEE binary16 <-> binary32 conversion (the lowest floor owns it: CPU kernels and core/quant
// share one definition), written out so that CPU results do not depend on
// compiler support for _Float16 and so that CUDA kernels can mirror it bit for bit.
#pragma once

#include <cstdint>

namespace wq::kernels {

// fp32 -> fp16 bits, round to nearest, ties to even; overflow -> ±inf, NaN -> quiet NaN
// (sign kept), subnormals handled exactly.
uint16_t float_to_half(float value);
// fp16 bits -> fp32 (exact for every half, including subnormals, ±inf and NaN payloads).
float half_to_float(uint16_t bits);
// Round an fp32 value to the nearest fp16 value and back (fp16 storage emulation).
inline float round_to_half(float value) { return half_to_float(float_to_half(value)); }

// Largest finite fp16 value.
inline constexpr float kHalfMax = 65504.0f;

}  // namespace wq::kernels
