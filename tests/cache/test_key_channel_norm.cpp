// ZipCache's channel-separable keys (core/cache/key_channel_norm.h): the power-of-two factor
// rule, that it rescues per-token keys from outlier channels, that simulate and packed mode
// read the same keys, and that the factors are paid for in the cache's bits.
#include <gtest/gtest.h>

#include <cmath>

#include "core/cache/key_channel_norm.h"
#include "core/cache/kv_bits.h"
#include "core/cache/kv_cache.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::QuantBits;

TEST(KeyChannelNorm, FactorsArePowersOfTwoNearestTheRootOfTheChannelMax) {
  // sqrt(9) = 3 -> 2^round(1.58) = 4; sqrt(2) -> 2^round(0.5) = 2 (half away from zero);
  // sqrt(0.01) = 0.1 -> 2^round(-3.32) = 1/8; 0 and inf -> 1; 1e-12 -> clamped to 2^-14.
  const std::vector<float> f = key_channel_factors({9.0f, 2.0f, 0.01f, 0.0f, INFINITY, 1e-12f, 1e6f});
  EXPECT_EQ(f, (std::vector<float>{4.0f, 2.0f, 0.125f, 1.0f, 1.0f, std::ldexp(1.0f, -14), 1024.0f}));
}

TEST(KeyChannelNorm, MaxIsTakenOverQuantizedTokensOnly) {
  const std::vector<float> x = {1, -2, 100, 100, -3, 0.5f};  // 3 tokens x 2 channels
  LayerPlan plan;
  plan.interleaved.push_back({0, 1, {QuantBits::b2}, 2});
  plan.interleaved.push_back({2, 3, {QuantBits::b2}, 2});
  EXPECT_EQ(quantized_channel_abs_max(x.data(), 2, stored_ranges(plan, 3)), (std::vector<float>{3.0f, 2.0f}));
}

// Keys with four outlier channels (x40), as real post-RoPE keys have: per-token groups of raw
// keys spend their range on the outliers; normalised ones do not.
TEST(KeyChannelNorm, RescuesPerTokenKeysFromOutlierChannelsAndBothModesAgree) {
  const int T = 96, D = 64;
  std::vector<float> k = testing::random_matrix(size_t(T) * D, 5), v = testing::random_matrix(size_t(T) * D, 6);
  for (int t = 0; t < T; ++t)
    for (int c : {3, 17, 40, 63}) k[size_t(t) * D + c] *= 40.0f;
  LayerPlan raw;
  raw.interleaved.push_back({0, T, std::vector<QuantBits>(T, QuantBits::b2), 32});
  LayerPlan normalised = raw;
  normalised.key_channel_norm = true;
  auto key_error = [&](const LayerPlan& plan, CacheMode mode) {
    const HeadCache head = build_head(k.data(), v.data(), T, D, plan, mode);
    std::vector<float> kd, vd;
    dequantize_head(head, D, kd, vd);
    double err = 0;
    for (size_t i = 0; i < kd.size(); ++i) err += (kd[i] - k[i]) * (kd[i] - k[i]);
    return err / kd.size();
  };
  const double raw_err = key_error(raw, CacheMode::packed), norm_err = key_error(normalised, CacheMode::packed);
  EXPECT_LT(norm_err, 0.5 * raw_err) << "raw " << raw_err << ", normalised " << norm_err;
  // Simulate keeps the values back in the keys' frame; packed undoes the factors on reading.
  const HeadCache packed = build_head(k.data(), v.data(), T, D, normalised, CacheMode::packed);
  const HeadCache simulated = build_head(k.data(), v.data(), T, D, normalised, CacheMode::simulate);
  EXPECT_TRUE(simulated.key_scale.empty());
  std::vector<float> kp, vp, ks, vs;
  dequantize_head(packed, D, kp, vp);
  dequantize_head(simulated, D, ks, vs);
  EXPECT_EQ(kp, ks);
  EXPECT_EQ(vp, vs);
}

TEST(KeyChannelNorm, FactorsAreChargedAsSideStorage) {
  const int H = 2, T = 40, D = 32;
  const auto k = testing::random_matrix(size_t(H) * T * D, 7), v = testing::random_matrix(size_t(H) * T * D, 8);
  LayerPlan plan;
  plan.interleaved.push_back({0, T, std::vector<QuantBits>(T, QuantBits::b4), 32});
  const LayerCache raw = build_layer(k.data(), v.data(), H, T, D, plan, CacheMode::packed);
  plan.key_channel_norm = true;
  const LayerCache normalised = build_layer(k.data(), v.data(), H, T, D, plan, CacheMode::packed);
  EXPECT_DOUBLE_EQ(kv_bits(normalised).counts.side_bits - kv_bits(raw).counts.side_bits, 16.0 * D * H);
  EXPECT_DOUBLE_EQ(cache_bytes(normalised).stored - cache_bytes(raw).stored, 2.0 * D * H);
}

TEST(KeyChannelNorm, RefusedWithAChannelTransform) {
  LayerPlan plan;
  plan.key_channel_norm = true;
  quant::QuantSpec rotated = quant::uniform_spec(QuantBits::b2, 16, quant::GroupAxis::channels);
  rotated.transform = quant::Transform::hadamard;
  plan.pieces.push_back({0, 8, {rotated, {}}, {rotated, {}}});
  EXPECT_THROW(validate(plan, 8, 16), std::invalid_argument);
}

}  // namespace
}  // namespace wq::cache
