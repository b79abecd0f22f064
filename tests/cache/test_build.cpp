// Cache construction: segments, reordering and positions, channel parts, interleaved, tail.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/cache/kv_cache.h"
#include "core/quant/half.h"
#include "core/quant/quantize.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::GroupAxis;
using testing::random_matrix;

const QuantSpec kKey2 = quant::uniform_spec(QuantBits::b2, 8, GroupAxis::tokens);
const QuantSpec kValue2 = quant::uniform_spec(QuantBits::b2, 8, GroupAxis::channels);

TEST(BuildCache, UncoveredRunsBecomeFullPrecisionSegments) {
  const int T = 40, D = 16;
  const auto k = random_matrix(T * D, 1), v = random_matrix(T * D, 2);
  LayerPlan plan = uniform_layer_plan(8, 30, kKey2, kValue2);
  const HeadCache head = build_head(k.data(), v.data(), T, D, plan, CacheMode::packed);
  ASSERT_EQ(head.segments.size(), 3u);
  EXPECT_EQ(head.segments[0].kind, SegmentKind::full_precision);
  EXPECT_EQ(head.segments[1].kind, SegmentKind::quantized);
  EXPECT_EQ(head.segments[2].kind, SegmentKind::full_precision);
  EXPECT_EQ(head.segments[1].begin, 8);
  EXPECT_EQ(head.segments[1].end, 30);
  // 22 tokens with key groups of 8: a partial last group of 6 tokens.
  EXPECT_EQ(head.segments[1].key.parts[0].packed.scales.size(), static_cast<size_t>(D) * 3);
  std::vector<float> kd, vd;
  dequantize_head(head, D, kd, vd);
  for (int i = 0; i < 8 * D; ++i) EXPECT_EQ(kd[i], k[i]);  // fp segments are exact
  for (int i = 30 * D; i < T * D; ++i) EXPECT_EQ(vd[i], v[i]);
}

TEST(BuildCache, ReorderingKeepsPositionsAndRows) {
  const int T = 24, D = 8;
  const auto k = random_matrix(T * D, 3), v = random_matrix(T * D, 4);
  LayerPlan plan;
  plan.order.resize(T);
  std::iota(plan.order.begin(), plan.order.end(), 0);
  std::mt19937 rng(5);
  std::shuffle(plan.order.begin(), plan.order.end(), rng);
  PlanPiece piece{0, 16, {kValue2, {}}, {kValue2, {}}};  // per-token quantization of slots 0..15
  plan.pieces.push_back(piece);
  const HeadCache head = build_head(k.data(), v.data(), T, D, plan, CacheMode::simulate);
  EXPECT_EQ(head.positions, plan.order);
  std::vector<float> kd, vd;
  dequantize_head(head, D, kd, vd);
  for (int i = 16; i < T; ++i)  // full-precision slots hold exactly the original rows
    for (int c = 0; c < D; ++c) EXPECT_EQ(kd[i * D + c], k[plan.order[i] * D + c]);
  // Per-token quantization does not depend on neighbours: slot i == quantized original row.
  for (int i = 0; i < 16; ++i) {
    const auto row = quant::fake_quantize(v.data() + plan.order[i] * D, 1, D, kValue2);
    for (int c = 0; c < D; ++c) EXPECT_EQ(vd[i * D + c], row[c]);
  }
  // simulate_head returns the original order.
  const auto [ko, vo] = simulate_head(k.data(), v.data(), T, D, plan);
  for (int i = 0; i < 16; ++i)
    for (int c = 0; c < D; ++c) EXPECT_EQ(vo[plan.order[i] * D + c], vd[i * D + c]);
}

TEST(BuildCache, ChannelPartsScatterBack) {
  const int T = 32, D = 8;
  const auto k = random_matrix(T * D, 6), v = random_matrix(T * D, 7);
  TensorPlan key;
  QuantSpec fft1 = quant::uniform_spec(QuantBits::b1, 32, GroupAxis::tokens);
  fft1.transform = quant::Transform::fft_channels;
  fft1.one_bit_rule = quant::OneBitRule::sign_meanabs;
  key.parts = {{{1, 4}, quant::uniform_spec(QuantBits::b8, 32, GroupAxis::tokens)},
               {{0, 2, 3, 5, 6, 7}, fft1}};
  LayerPlan plan;
  plan.pieces.push_back({0, T, key, {kValue2, {}}});
  for (CacheMode mode : {CacheMode::simulate, CacheMode::packed}) {
    const HeadCache head = build_head(k.data(), v.data(), T, D, plan, mode);
    std::vector<float> kd, vd;
    dequantize_head(head, D, kd, vd);
    for (int t = 0; t < T; ++t)  // the 8-bit outlier channels are close to the original
      for (int c : {1, 4}) EXPECT_NEAR(kd[t * D + c], k[t * D + c], 0.03f);
  }
  plan.pieces[0].key.parts[1].channels = {0, 2, 3, 5, 6};  // channel 7 missing
  EXPECT_THROW(build_head(k.data(), v.data(), T, D, plan, CacheMode::packed), std::invalid_argument);
}

TEST(BuildCache, InterleavedTokensRoundTripAtTheirOwnWidth) {
  const int T = 6, D = 16;
  const auto k = random_matrix(T * D, 8), v = random_matrix(T * D, 9);
  LayerPlan plan;
  plan.interleaved.push_back({0, T, {QuantBits::b2, QuantBits::b8, QuantBits::b16, QuantBits::b4,
                                     QuantBits::b1, QuantBits::b3}, 8});
  const HeadCache head = build_head(k.data(), v.data(), T, D, plan, CacheMode::packed);
  const InterleavedTensor& it = head.segments[0].key.interleaved;
  EXPECT_EQ(it.bits, (std::vector<uint8_t>{2, 8, 16, 4, 1, 3}));
  // words per token: 1, 4, 8, 2, 1, 2 -> exclusive prefix sums
  EXPECT_EQ(it.word_offset, (std::vector<uint32_t>{0, 1, 5, 13, 15, 16}));
  EXPECT_EQ(it.words.size(), 18u);
  std::vector<float> kd, vd;
  dequantize_head(head, D, kd, vd);
  for (int c = 0; c < D; ++c) {
    EXPECT_EQ(kd[2 * D + c], quant::round_to_half(k[2 * D + c]));  // 16-bit token
    EXPECT_NEAR(kd[1 * D + c], k[1 * D + c], 0.02f);                // 8-bit token
  }
}

TEST(BuildCache, TailAppendsWithPositions) {
  const int T = 8, D = 4;
  const auto k = random_matrix(T * D, 10), v = random_matrix(T * D, 11);
  HeadCache head = build_head(k.data(), v.data(), T, D, LayerPlan{}, CacheMode::packed);
  const auto tk = random_matrix(3 * D, 12), tv = random_matrix(3 * D, 13);
  append_tail(head, tk.data(), tv.data(), 3, D, T);
  EXPECT_EQ(head.tail_positions, (std::vector<int32_t>{8, 9, 10}));
  std::vector<float> kd, vd;
  dequantize_head(head, D, kd, vd);
  ASSERT_EQ(kd.size(), static_cast<size_t>(11 * D));
  EXPECT_EQ(kd[9 * D + 2], tk[1 * D + 2]);
}

TEST(BuildCache, PlanErrorsAreCaught) {
  const int T = 8, D = 4;
  const auto k = random_matrix(T * D, 14);
  LayerPlan overlap;
  overlap.pieces.push_back({0, 5, {kValue2, {}}, {kValue2, {}}});
  overlap.pieces.push_back({4, 8, {kValue2, {}}, {kValue2, {}}});
  EXPECT_THROW(validate(overlap, T, D), std::invalid_argument);
  LayerPlan bad_order;
  bad_order.order = {0, 1, 2, 3, 4, 5, 6, 6};
  EXPECT_THROW(validate(bad_order, T, D), std::invalid_argument);
  Plan two;
  two.layers.resize(2);
  EXPECT_THROW(two.for_layer(2), std::out_of_range);
}

}  // namespace
}  // namespace wq::cache
