// Byte accounting on hand-computed examples (docs/effective-bits.md has the same numbers).
#include <gtest/gtest.h>

#include "core/cache/kv_bits.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::GroupAxis;
using quant::uniform_spec;
using testing::random_matrix;

KvCache one_head_cache(int T, int D, const LayerPlan& plan, CacheMode mode = CacheMode::packed) {
  FullKv kv(1, 1, T, D);
  kv.k = random_matrix(T * D, 21);
  kv.v = random_matrix(T * D, 22);
  return build_cache(kv, Plan{{plan}}, mode);
}

TEST(KvBits, Fp16CacheIsSixteenBits) {
  const KvCache cache = one_head_cache(10, 8, LayerPlan{});
  const KvBits b = kv_bits(cache);
  EXPECT_EQ(b.elements(), 160.0);
  EXPECT_EQ(b.nominal(), 16.0);
  EXPECT_EQ(b.effective(), 16.0);
  const CacheBytes bytes = cache_bytes(cache);
  EXPECT_EQ(bytes.stored, bytes.fp16);
  EXPECT_EQ(bytes.fp16, 320.0);
}

TEST(KvBits, Uniform2BitGroup32) {
  // K: 32 channels x 4 words x 32 = 4096 code bits, 32 x 2 groups x (16 + 16) = 2048 meta.
  // V: 64 tokens x 2 words x 32 = 4096 code bits, 64 x 1 group x 32 = 2048 meta.
  // 12288 bits / (2 x 64 x 32) elements = 3.0.
  const KvCache cache = one_head_cache(64, 32, uniform_layer_plan(0, 64, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens),
                                                                  uniform_spec(QuantBits::b2, 32, GroupAxis::channels)));
  const KvBits b = kv_bits(cache);
  EXPECT_EQ(b.counts.code_bits, 8192.0);
  EXPECT_EQ(b.counts.scale_bits, 2048.0);
  EXPECT_EQ(b.counts.min_bits, 2048.0);
  EXPECT_EQ(b.nominal(), 2.0);
  EXPECT_EQ(b.effective(), 3.0);
  // Simulate mode accounts identically.
  const KvCache sim = one_head_cache(64, 32, uniform_layer_plan(0, 64, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens),
                                                                uniform_spec(QuantBits::b2, 32, GroupAxis::channels)),
                                     CacheMode::simulate);
  EXPECT_EQ(kv_bits(sim).effective(), 3.0);
}

TEST(KvBits, OnlyVisualTokensCount) {
  // 16 text tokens (fp) + 48 visual tokens at 2 bits: K 3072 + 2048, V 3072 + 1536 bits over
  // 2 x 48 x 32 elements = 9728 / 3072.
  const KvCache cache = one_head_cache(64, 32, uniform_layer_plan(16, 64, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens),
                                                                  uniform_spec(QuantBits::b2, 32, GroupAxis::channels)));
  std::vector<uint8_t> visual(64, 1);
  for (int i = 0; i < 16; ++i) visual[i] = 0;
  const KvBits b = kv_bits(cache, visual);
  EXPECT_EQ(b.elements(), 3072.0);
  EXPECT_DOUBLE_EQ(b.effective(), 9728.0 / 3072.0);
  EXPECT_DOUBLE_EQ(kv_bits(cache).effective(), (9728.0 + 16 * 32 * 2 * 16) / 4096.0);
}

TEST(KvBits, KiviWithResidual) {
  // T = 100, G = R = 32: [0,64) K2/V2, [64,96) K2/V fp16, [96,100) fp.
  const QuantSpec key = uniform_spec(QuantBits::b2, 32, GroupAxis::tokens);
  const QuantSpec value = uniform_spec(QuantBits::b2, 32, GroupAxis::channels);
  LayerPlan plan;
  plan.pieces.push_back({0, 64, {key, {}}, {value, {}}});
  plan.pieces.push_back({64, 96, {key, {}}, {quant::fp16_spec(), {}}});
  const KvBits b = kv_bits(one_head_cache(100, 32, plan));
  // 12288 + (2048 + 1024) + 16384 + 4096 = 35840 bits over 6400 elements.
  EXPECT_DOUBLE_EQ(b.effective(), 35840.0 / 6400.0);
  EXPECT_DOUBLE_EQ(b.nominal(), 30720.0 / 6400.0);
  EXPECT_EQ(b.counts.fp_bits, 16384.0 + 4096.0);
}

TEST(KvBits, TernarySlotsVersusBase3) {
  // 128 channels per token, one group: slots2 8 words (256) + fp16 scale = 272 bits per
  // token-tensor = 2.125; base3 ceil(128/20) = 7 words (224) + 16 = 240 = 1.875.
  QuantSpec t = uniform_spec(QuantBits::b1_58, 128, GroupAxis::channels);
  EXPECT_DOUBLE_EQ(kv_bits(one_head_cache(4, 128, uniform_layer_plan(0, 4, t, t))).effective(), 2.125);
  t.ternary_storage = quant::TernaryStorage::base3;
  const KvBits b = kv_bits(one_head_cache(4, 128, uniform_layer_plan(0, 4, t, t)));
  EXPECT_DOUBLE_EQ(b.effective(), 1.875);
  EXPECT_DOUBLE_EQ(b.nominal(), 1.58);
}

TEST(KvBits, VidKvFftKeysCountDoubledReals) {
  // 32 tokens, D = 8: channels {1, 4} at 2 bits per channel (g32), the other 6 through the
  // FFT (12 reals) at 1 bit sign_meanabs (scale only).
  // 2-bit part: 2 rows x 2 words x 32 = 128 + 2 x (16 + 16) = 192; 1-bit part: 12 rows x 1
  // word x 32 = 384 + 12 x 16 = 576; side: 8 channel indices x 16 = 128. Total 896 bits /
  // 256 elements = 3.5; nominal (2 x 2 + 6 x 1) / 8 = 1.25.
  QuantSpec fft1 = uniform_spec(QuantBits::b1, 32, GroupAxis::tokens);
  fft1.transform = quant::Transform::fft_channels;
  fft1.one_bit_rule = quant::OneBitRule::sign_meanabs;
  TensorPlan key;
  key.parts = {{{1, 4}, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens)}, {{0, 2, 3, 5, 6, 7}, fft1}};
  LayerPlan plan;
  plan.pieces.push_back({0, 32, key, {quant::fp16_spec(), {}}});
  const KvCache cache = one_head_cache(32, 8, plan);
  const BitCounts& kb = cache.layers[0].heads[0].segments[0].key.bits;
  EXPECT_EQ(kb.total_bits(), 896.0);
  EXPECT_EQ(kb.side_bits, 128.0);
  EXPECT_DOUBLE_EQ(kb.nominal / kb.elements, 1.25);
}

TEST(KvBits, InterleavedCountsPerTokenSideStorage) {
  // D = 16, G = 8, widths {2, 4}: words 1 + 2 = 96 bits, scales/mins 2 x 2 x 16 x 2 = 128,
  // side bits[] 2 x 8 + word_offset[] 2 x 32 = 80. Per tensor 304, K + V 608 / 64 = 9.5.
  LayerPlan plan;
  plan.interleaved.push_back({0, 2, {QuantBits::b2, QuantBits::b4}, 8});
  const KvBits b = kv_bits(one_head_cache(2, 16, plan));
  EXPECT_EQ(b.counts.side_bits, 160.0);
  EXPECT_DOUBLE_EQ(b.effective(), 9.5);
  EXPECT_DOUBLE_EQ(b.nominal(), 3.0);
}

TEST(KvBits, PlanSideBitsAndTailAreAccountedWhereTheyBelong) {
  LayerPlan plan;
  plan.side_bits_per_head = 64;
  KvCache cache = one_head_cache(4, 8, plan);
  EXPECT_DOUBLE_EQ(kv_bits(cache).effective(), (4 * 8 * 2 * 16 + 64) / 64.0);
  const auto tk = random_matrix(2 * 8, 30);
  append_tail(cache.layers[0], tk.data(), tk.data(), 2, 4);
  EXPECT_DOUBLE_EQ(kv_bits(cache).elements(), 64.0);  // the tail is not visual
  EXPECT_DOUBLE_EQ(cache_bytes(cache).stored, 4 * 8 * 2 * 2 + 8 + 2 * 8 * 2 * 2);
}

}  // namespace
}  // namespace wq::cache
