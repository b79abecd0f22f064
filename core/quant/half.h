// fp16 conversion for core/quant: the kernels' own (kernels/cpu/half.h), so that packed codes,
// scales and the kernels that read them agree bit for bit by construction.
#pragma once

#include "kernels/cpu/half.h"

namespace wq::quant {

using kernels::float_to_half;
using kernels::half_to_float;
using kernels::kHalfMax;
using kernels::round_to_half;

}  // namespace wq::quant
