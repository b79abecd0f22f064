// kernels/pack_quotient.h: the GPU quantize+pack fast path's division-free quotient equals IEEE
// division for every positive finite fp16 divisor, on the dividends where a wrong rounding would
// change a code: a few floats on each side of (k + 1/2)·s, the rounding boundary between codes
// k and k + 1, for every code of 8 bits; and random dividends.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "core/quant/half.h"
#include "kernels/pack_quotient.h"

namespace wq::kernels {
namespace {

TEST(PackQuotient, EqualsIeeeDivisionForEveryFp16Divisor) {
  std::mt19937 rng(20261123);
  std::uniform_real_distribution<float> dividend(0.0f, 300.0f);
  int64_t checked = 0, wrong = 0, product_wrong = 0;
  for (uint16_t bits = 1; bits < 0x7C00; ++bits) {  // subnormal and normal fp16 values
    const float s = quant::half_to_float(bits);
    const float r = 1.0f / s;
    const auto check = [&](float a) {
      const float exact = a / s;
      ++checked;
      wrong += quotient_by_reciprocal(a, s, r) != exact;
      product_wrong += a * r != exact;
    };
    for (int k = 0; k < 256; ++k) {
      float a = static_cast<float>((k + 0.5) * static_cast<double>(s));
      for (int i = 0; i < 3; ++i) a = std::nextafter(a, 0.0f);
      for (int i = 0; i < 7; ++i, a = std::nextafter(a, INFINITY)) check(a);
    }
    for (int i = 0; i < 16; ++i) check(dividend(rng) * s);
  }
  EXPECT_EQ(wrong, 0) << "of " << checked << " quotients";
  // The cases are hard ones: the uncorrected product a·RN(1/s) misses many of them.
  EXPECT_GT(product_wrong, checked / 100);
}

}  // namespace
}  // namespace wq::kernels
