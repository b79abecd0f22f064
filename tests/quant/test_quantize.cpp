// dequantize(quantize(x)) within half a step (plus fp16 rounding of scale/min) for every
// width, axis and group size, on random, constant-group, outlier and negative-only data;
// exact ternary / 1-bit rules; errors; the documented layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "core/quant/group_quant.h"
#include "core/quant/half.h"
#include "core/quant/packing.h"
#include "core/quant/quantize.h"
#include "core/quant/transforms.h"

namespace wq::quant {
namespace {

enum class Data { random, constant_groups, outlier, negative_only };

std::vector<float> make_data(Data kind, int tokens, int channels, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(tokens) * channels);
  for (auto& v : x) v = dist(rng);
  switch (kind) {
    case Data::random: break;
    case Data::constant_groups:  // every 8x8 block constant (so groups of 8 are constant)
      for (int t = 0; t < tokens; ++t)
        for (int d = 0; d < channels; ++d) x[t * channels + d] = 0.25f * ((t / 8 + d / 8) % 5) - 0.5f;
      break;
    case Data::outlier: x[3 * channels + 5] = 900.0f; break;
    case Data::negative_only:
      for (auto& v : x) v = -std::fabs(v) - 3.0f;
      break;
  }
  return x;
}

// Group members of element (t, d) under the spec (no transform): lo, hi, max|x|.
void group_range(const std::vector<float>& x, int tokens, int channels, const QuantSpec& s, int t,
                 int d, float& lo, float& hi, float& amax) {
  lo = std::numeric_limits<float>::max();
  hi = -lo;
  amax = 0.0f;
  const int g = s.group_size;
  const int first = (s.axis == GroupAxis::tokens ? t : d) / g * g;
  const int limit = s.axis == GroupAxis::tokens ? tokens : channels;
  for (int i = first; i < std::min(first + g, limit); ++i) {
    const float v = s.axis == GroupAxis::tokens ? x[i * channels + d] : x[t * channels + i];
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    amax = std::max(amax, std::fabs(v));
  }
}

struct Case {
  QuantBits bits;
  bool symmetric;
};

TEST(Quantize, RoundTripWithinHalfStepEveryWidthAxisGroup) {
  const Case cases[] = {{QuantBits::b1, false}, {QuantBits::b2, false}, {QuantBits::b3, false},
                        {QuantBits::b4, false}, {QuantBits::b8, false}, {QuantBits::b2, true},
                        {QuantBits::b3, true},  {QuantBits::b4, true},  {QuantBits::b8, true}};
  const int tokens = 64, channels = 32;
  for (const Case& c : cases) {
    for (GroupAxis axis : {GroupAxis::tokens, GroupAxis::channels}) {
      for (int g : {8, 32}) {
        for (Data data : {Data::random, Data::constant_groups, Data::outlier, Data::negative_only}) {
          const QuantSpec s = uniform_spec(c.bits, g, axis, c.symmetric);
          const auto x = make_data(data, tokens, channels, 17 + g);
          const QTensor q = quantize(x, tokens, channels, s);
          const auto y = dequantize(q);
          const double top = c.symmetric ? (1 << (integer_bits(c.bits) - 1)) - 1
                                         : (1 << integer_bits(c.bits)) - 1;
          const double tol_steps = format_info(c.bits).tol_steps;
          for (int t = 0; t < tokens; ++t) {
            for (int d = 0; d < channels; ++d) {
              float lo, hi, amax;
              group_range(x, tokens, channels, s, t, d, lo, hi, amax);
              const double step = c.symmetric ? amax / top : (hi - lo) / top;
              // fp16 storage of scale and min moves the grid by at most 2^-11 relative.
              const double tol = tol_steps * step * (1 + 1e-3) +
                                 std::ldexp(1.0, -10) * (std::fabs(lo) + std::fabs(hi)) + 1e-6;
              ASSERT_LE(std::fabs(y[t * channels + d] - x[t * channels + d]), tol)
                  << to_string(s) << " data " << static_cast<int>(data) << " t " << t << " d " << d;
            }
          }
        }
      }
    }
  }
}

TEST(Quantize, ConstantGroupStoresZeroScaleAndIsExact) {
  std::vector<float> x(4 * 8, 0.75f);  // fp16-exact value
  const QTensor q = quantize(x, 4, 8, uniform_spec(QuantBits::b2, 4, GroupAxis::tokens));
  for (uint16_t s : q.scales) EXPECT_EQ(s, 0u);
  for (float v : dequantize(q)) EXPECT_EQ(v, 0.75f);
}

TEST(Quantize, AxisTokensLayoutIsChannelMajor) {
  const int tokens = 40, channels = 3;  // 40 tokens = 2.5 words of 16 two-bit codes
  const auto x = make_data(Data::random, tokens, channels, 5);
  const QuantSpec s = uniform_spec(QuantBits::b2, 8, GroupAxis::tokens);
  const QTensor q = quantize(x, tokens, channels, s);
  EXPECT_EQ(q.words.size(), 3u * 3u);   // [D][ceil(40 / 16)]
  EXPECT_EQ(q.scales.size(), 3u * 5u);  // [D][40 / 8]
  EXPECT_EQ(q.mins.size(), 3u * 5u);
  // token 37 of channel 2: word 2 of row 2, slot 5; group 4 of row 2.
  const uint32_t code = (q.words[2 * 3 + 2] >> (2 * 5)) & 3u;
  const float expect = code * half_to_float(q.scales[2 * 5 + 4]) + half_to_float(q.mins[2 * 5 + 4]);
  EXPECT_EQ(dequantize(q)[37 * channels + 2], expect);
}

TEST(Quantize, AxisChannelsLayoutIsTokenMajor) {
  const int tokens = 3, channels = 40;
  const auto x = make_data(Data::random, tokens, channels, 6);
  const QTensor q = quantize(x, tokens, channels, uniform_spec(QuantBits::b3, 8, GroupAxis::channels));
  EXPECT_EQ(q.words.size(), 3u * 4u);  // [T][ceil(40 / 10)]
  EXPECT_EQ(q.scales.size(), 3u * 5u);
  // token 1, channel 23: word 2 of row 1, slot 3; group 2 of row 1.
  const uint32_t code = (q.words[1 * 4 + 2] >> 9) & 7u;
  const float expect = code * half_to_float(q.scales[5 + 2]) + half_to_float(q.mins[5 + 2]);
  EXPECT_EQ(dequantize(q)[1 * channels + 23], expect);
  for (uint32_t w : q.words) EXPECT_EQ(w >> 30, 0u) << "3-bit words keep their top 2 bits zero";
}

TEST(Quantize, PartialLastTokenGroupOnlyWhenAllowed) {
  const auto x = make_data(Data::random, 50, 4, 8);
  const QuantSpec s = uniform_spec(QuantBits::b4, 32, GroupAxis::tokens);
  try {
    quantize(x, 50, 4, s);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("32"), std::string::npos);
    EXPECT_NE(msg.find("50"), std::string::npos);
  }
  QuantizeOptions opt;
  opt.allow_partial_token_group = true;
  const QTensor q = quantize(x, 50, 4, s, opt);
  EXPECT_EQ(q.scales.size(), 4u * 2u);
  // The partial group's statistics cover tokens 32..49 only: its min is their minimum.
  float lo = x[32 * 4 + 1];
  for (int t = 33; t < 50; ++t) lo = std::min(lo, x[t * 4 + 1]);
  EXPECT_EQ(q.mins[1 * 2 + 1], float_to_half(lo));
}

TEST(Quantize, ChannelGroupMustDivide) {
  const auto x = make_data(Data::random, 2, 40, 9);
  EXPECT_THROW(quantize(x, 2, 40, uniform_spec(QuantBits::b2, 32, GroupAxis::channels)),
               std::invalid_argument);
}

TEST(Quantize, NonFiniteInputIsAnError) {
  for (float bad : {std::nanf(""), std::numeric_limits<float>::infinity()}) {
    auto x = make_data(Data::random, 8, 8, 10);
    x[5 * 8 + 2] = bad;
    try {
      quantize(x, 8, 8, uniform_spec(QuantBits::b4, 8, GroupAxis::channels));
      FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("token 5, channel 2"), std::string::npos) << e.what();
    }
  }
}

TEST(Quantize, Fp16PassthroughIsFp16Rounding) {
  const auto x = make_data(Data::random, 5, 7, 12);
  const QTensor q = quantize(x, 5, 7, fp16_spec());
  EXPECT_EQ(q.words.size(), 5u * 4u);
  EXPECT_TRUE(q.scales.empty());
  const auto y = dequantize(q);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(y[i], round_to_half(x[i]));
}

TEST(Quantize, TernaryFollowsThresholdAndScaleRule) {
  for (TernaryStorage storage : {TernaryStorage::slots2, TernaryStorage::base3}) {
    QuantSpec s = uniform_spec(QuantBits::b1_58, 32, GroupAxis::tokens);
    s.ternary_storage = storage;
    s.ternary.gamma = 0.7f;
    const int tokens = 64, channels = 4;
    const auto x = make_data(Data::random, tokens, channels, 13);
    const QTensor q = quantize(x, tokens, channels, s);
    EXPECT_TRUE(q.mins.empty());
    EXPECT_EQ(q.words.size(), storage == TernaryStorage::base3 ? 4u * 4u : 4u * 4u);
    const auto y = dequantize(q);
    for (int d = 0; d < channels; ++d) {
      for (int g = 0; g < 2; ++g) {
        double sum_abs = 0, sum_nz = 0;
        int nz = 0;
        for (int t = g * 32; t < g * 32 + 32; ++t) sum_abs += std::fabs(x[t * channels + d]);
        const double thr = 0.7 * sum_abs / 32;
        for (int t = g * 32; t < g * 32 + 32; ++t) {
          const float v = x[t * channels + d];
          if (std::fabs(v) > thr) sum_nz += std::fabs(v), ++nz;
        }
        const float scale = round_to_half(static_cast<float>(sum_nz / nz));
        for (int t = g * 32; t < g * 32 + 32; ++t) {
          const float v = x[t * channels + d];
          const float expect = v > thr ? scale : (v < -thr ? -scale : 0.0f);
          ASSERT_EQ(y[t * channels + d], expect) << t << " " << d;
        }
      }
    }
  }
}

TEST(Quantize, Base3TernaryUsesTwentyTritsPerWord) {
  QuantSpec s = uniform_spec(QuantBits::b1_58, 8, GroupAxis::channels);
  s.ternary_storage = TernaryStorage::base3;
  const auto x = make_data(Data::random, 2, 64, 14);
  EXPECT_EQ(quantize(x, 2, 64, s).words.size(), 2u * 4u);  // ceil(64 / 20) per token
  s.ternary_storage = TernaryStorage::slots2;
  EXPECT_EQ(quantize(x, 2, 64, s).words.size(), 2u * 4u);  // ceil(64 / 16)
}

TEST(Quantize, OneBitSignMeanAbs) {
  QuantSpec s = uniform_spec(QuantBits::b1, 4, GroupAxis::channels);
  s.one_bit_rule = OneBitRule::sign_meanabs;
  const std::vector<float> x{1.0f, -2.0f, 0.0f, 3.0f};
  const QTensor q = quantize(x, 1, 4, s);
  EXPECT_TRUE(q.mins.empty());
  EXPECT_EQ(q.words[0], 0b1101u);  // x >= 0 -> 1
  const auto y = dequantize(q);
  EXPECT_EQ(y, (std::vector<float>{1.5f, 0.0f, 1.5f, 1.5f}));  // mean|x| = 1.5
}

TEST(Quantize, KiviFp16ComputeStaysWithinHalfStep) {
  QuantSpec s = uniform_spec(QuantBits::b2, 32, GroupAxis::tokens);
  s.compute = ComputeMode::fp16;
  auto x = make_data(Data::random, 64, 8, 15);
  for (auto& v : x) v = round_to_half(v);  // KIVI's inputs are fp16
  const auto y = fake_quantize(x.data(), 64, 8, s);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_LE(std::fabs(y[i] - x[i]), 1.6f);  // range/3/2 + slack
  // Hand example in fp16 arithmetic: mn = 0, mx = 1, scale = h(1 / 3) = 0x3555; codes of
  // {0, h(0.1), h(0.2), 1} are round(h(x / scale)) = {0, 0, 1, 3} (0.2 -> h(0.60009765625)).
  const std::vector<float> g{0.0f, round_to_half(0.1f), round_to_half(0.2f), 1.0f};
  const QTensor q = quantize(g, 1, 4, uniform_spec(QuantBits::b2, 4, GroupAxis::channels));
  QuantSpec kivi = uniform_spec(QuantBits::b2, 4, GroupAxis::channels);
  kivi.compute = ComputeMode::fp16;
  const QTensor qk = quantize(g, 1, 4, kivi);
  EXPECT_EQ(qk.scales[0], 0x3555);
  EXPECT_EQ(qk.mins[0], 0u);
  EXPECT_EQ(qk.words[0], 0u | (0u << 2) | (1u << 4) | (3u << 6));
  EXPECT_EQ(q.words[0], qk.words[0]);
}

TEST(Quantize, TransformsRoundTrip) {
  const int tokens = 16, channels = 64;
  const auto x = make_data(Data::random, tokens, channels, 16);
  // fft_channels: 2D stored reals, groups of 32 stored channels.
  QuantSpec fft = uniform_spec(QuantBits::b8, 32, GroupAxis::channels);
  fft.transform = Transform::fft_channels;
  const QTensor qf = quantize(x, tokens, channels, fft);
  EXPECT_EQ(qf.stored_channels, 128);
  EXPECT_EQ(qf.scales.size(), static_cast<size_t>(tokens) * 4);
  const auto yf = dequantize(qf);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(yf[i], x[i], 0.05f);
  // hadamard + 4 bits: L2 error per token bounded by the L2 norm of half steps.
  QuantSpec had = uniform_spec(QuantBits::b4, 16, GroupAxis::channels);
  had.transform = Transform::hadamard;
  const auto yh = fake_quantize(x.data(), tokens, channels, had);
  const auto rot = apply_transform(Transform::hadamard, x.data(), tokens, channels);
  for (int t = 0; t < tokens; ++t) {
    double err2 = 0, bound2 = 0;
    for (int d = 0; d < channels; ++d) err2 += std::pow(yh[t * channels + d] - x[t * channels + d], 2);
    for (int g = 0; g < channels / 16; ++g) {
      float lo = 1e30f, hi = -1e30f;
      for (int d = g * 16; d < g * 16 + 16; ++d) lo = std::min(lo, rot[t * channels + d]), hi = std::max(hi, rot[t * channels + d]);
      bound2 += 16 * std::pow(0.5 * (hi - lo) / 15 * 1.01 + 1e-3 * (std::fabs(lo) + std::fabs(hi)), 2);
    }
    EXPECT_LE(err2, bound2) << t;
  }
  QuantSpec bad = had;
  EXPECT_THROW(quantize(make_data(Data::random, 2, 48, 1), 2, 48, bad), std::invalid_argument);
}

TEST(QuantSpecChecks, RejectsContradictions) {
  EXPECT_THROW(validate(uniform_spec(QuantBits::b1, 32, GroupAxis::tokens, true)), std::invalid_argument);
  EXPECT_THROW(validate(uniform_spec(QuantBits::b1_58, 32, GroupAxis::tokens, true)), std::invalid_argument);
  EXPECT_THROW(validate(uniform_spec(QuantBits::b2, 0, GroupAxis::tokens)), std::invalid_argument);
  EXPECT_NO_THROW(validate(uniform_spec(QuantBits::b4, 32, GroupAxis::channels, true)));
}

}  // namespace
}  // namespace wq::quant

namespace wq::quant {
namespace {

// The row-wise dequantizer and the per-element reader (what a kernel computes) agree
// bit for bit on every format and axis.
TEST(Quantize, ElementReaderMatchesRowDequantizer) {
  std::mt19937 rng(77);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  const int tokens = 37, channels = 16;
  std::vector<float> x(tokens * channels);
  for (auto& v : x) v = dist(rng);
  QuantizeOptions opt;
  opt.allow_partial_token_group = true;
  for (const FormatInfo& f : kFormats) {
    for (GroupAxis axis : {GroupAxis::tokens, GroupAxis::channels}) {
      QuantSpec s = uniform_spec(f.bits, 8, axis);
      if (f.bits == QuantBits::b1_58) s.ternary_storage = TernaryStorage::base3;
      const QTensor q = quantize(x, tokens, channels, s, opt);
      const auto y = dequantize(q);
      for (int t = 0; t < tokens; ++t)
        for (int d = 0; d < channels; ++d) ASSERT_EQ(y[t * channels + d], dequantize_element(q, t, d)) << f.name;
    }
  }
}

}  // namespace
}  // namespace wq::quant
