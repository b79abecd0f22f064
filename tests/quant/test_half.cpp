// fp16 conversion: exhaustive round trip and round-to-nearest-even on the boundaries.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/quant/half.h"

namespace wq::quant {
namespace {

float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

TEST(Half, EveryHalfRoundTripsExactly) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    ASSERT_EQ(float_to_half(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Half, KnownValues) {
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);  // below the halfway point to 2^16
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // halfway, ties to even = inf
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // halfway to 0: even
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 units: ties to even 2
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::nanf("")))));
  EXPECT_FLOAT_EQ(half_to_float(0x3555), 0.333251953125f);
}

TEST(Half, TiesToEvenBetweenNeighbours) {
  // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10: rounds down.
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9: rounds up.
  EXPECT_EQ(float_to_half(1.0f + 3.0f * std::ldexp(1.0f, -11)), 0x3c02);
  // Just above halfway rounds up.
  EXPECT_EQ(float_to_half(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
}

// Random floats against a slow reference: the nearest of the two neighbouring halves,
// ties to the even one.
TEST(Half, RandomFloatsRoundToNearestEven) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<uint32_t> dist(0, 0x477fe000u);  // finite, below overflow
  for (int i = 0; i < 200000; ++i) {
    const uint32_t b = dist(rng) | ((rng() & 1u) << 31);
    const float f = bits_to_float(b);
    const uint16_t mag = float_to_half(f) & 0x7fff;
    const double a = std::fabs(static_cast<double>(f));
    const double err = std::fabs(half_to_float(mag) - a);
    const double up = mag < 0x7bff ? std::fabs(half_to_float(static_cast<uint16_t>(mag + 1)) - a) : 1e300;
    const double down = mag > 0 ? std::fabs(half_to_float(static_cast<uint16_t>(mag - 1)) - a) : 1e300;
    ASSERT_LE(err, up) << f;
    ASSERT_LE(err, down) << f;
    if (err == up || err == down) {
      ASSERT_EQ(mag & 1, 0) << "tie not to even: " << f;
    }
  }
}

#if defined(__FLT16_MAX__) && (defined(__x86_64__) || defined(__aarch64__))
// The compiler's own conversion, where it exists, must agree bit for bit.
TEST(Half, MatchesCompilerFloat16) {
  std::mt19937 rng(99);
  for (int i = 0; i < 200000; ++i) {
    const float f = bits_to_float(rng());
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t hb;
    std::memcpy(&hb, &h, 2);
    ASSERT_EQ(float_to_half(f), hb) << f;
  }
}
#endif

}  // namespace
}  // namespace wq::quant
