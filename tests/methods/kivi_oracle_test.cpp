// `kivi` against the authors' own code (jy-yuan/KIVI @ 876b4d2, tests/data/oracle/README.md):
// packed key and value words, fp16 scales and minima bit for bit, dequantized values within the
// two fp16 roundings of their dequantizer (h(h(code·scale) + mn); ours rounds once), and
// the prefill residual rule token for token.
#include <gtest/gtest.h>

#include "core/method/compress.h"
#include "core/method/kv_method.h"
#include "core/quant/quantize.h"
#include "tests/methods/oracle_fixture.h"

namespace wq::methods {
namespace {

using testing::half_ulp;

const testing::OracleFile& kivi_oracle() {
  static const testing::OracleFile file = testing::load_oracle("kivi");
  return file;
}

class KiviOracle : public ::testing::TestWithParam<std::string> {};

TEST_P(KiviOracle, MatchesAuthorsCode) {
  const auto& file = kivi_oracle();
  if (file.cases.empty()) GTEST_SKIP() << "tests/data/oracle/kivi.{json,bin} missing: run scripts/oracle/make_oracle_fixtures.py";
  const testing::OracleCase& c = file.cases.at(GetParam());
  const int bits = c.params["bits"], G = c.params["group_size"], R = c.params["residual_length"];
  const int T = c.params["T"], D = c.params["D"], H = c.params["H"];
  const int kq = c.params["quantized_key_tokens"], vq = c.params["quantized_value_tokens"];
  const int c_per_word = 32 / bits;
  const cache::FullKv kv = testing::full_kv_from(c.at("keys"), c.at("values"));
  auto method = make_method("kivi", "{bits: " + std::to_string(bits) + ", group_size: " + std::to_string(G) +
                                        ", residual: " + std::to_string(R) + "}");
  const auto packed = compress(*method, kv, all_visual_context(T, T), cache::CacheMode::packed);

  const auto key_codes = c.at("key_codes").i32();
  const auto key_scale = c.at("key_scale").u16(), key_mn = c.at("key_mn").u16();
  const auto key_deq = c.at("key_dequant").f32();
  const int key_words = kq / c_per_word, key_groups = kq / G;
  const int vq_aligned = vq / G * G;  // our value boundary (docs/methods.md)
  const float levels = static_cast<float>((1 << bits) - 1);
  const auto value_deq = c.has("value_dequant") ? c.at("value_dequant").f32() : std::vector<float>();
  const auto value_scale = c.has("value_scale") ? c.at("value_scale").u16() : std::vector<uint16_t>();
  for (int h = 0; h < H; ++h) {
    const cache::HeadCache& head = packed.layers[0].heads[static_cast<size_t>(h)];
    // Keys: the quantized pieces in order cover [0, kq); words and stats concatenate per channel.
    std::vector<std::vector<uint32_t>> words(static_cast<size_t>(D));
    std::vector<std::vector<uint16_t>> scales(static_cast<size_t>(D)), mins(static_cast<size_t>(D));
    int covered = 0;
    for (const cache::Segment& seg : head.segments) {
      if (seg.kind != cache::SegmentKind::quantized) continue;
      const quant::QTensor& q = seg.key.parts.at(0).packed;
      for (int d = 0; d < D; ++d) {
        for (size_t w = 0; w < q.words_per_row(); ++w) words[static_cast<size_t>(d)].push_back(q.words[d * q.words_per_row() + w]);
        for (size_t g = 0; g < q.groups_per_row(); ++g) {
          scales[static_cast<size_t>(d)].push_back(q.scales[d * q.groups_per_row() + g]);
          mins[static_cast<size_t>(d)].push_back(q.mins[d * q.groups_per_row() + g]);
        }
      }
      covered = seg.end;
    }
    ASSERT_EQ(covered, kq) << "keys quantized up to T - T mod R";
    for (int d = 0; d < D; ++d)
      for (int w = 0; w < key_words; ++w)
        ASSERT_EQ(words[static_cast<size_t>(d)][static_cast<size_t>(w)],
                  static_cast<uint32_t>(key_codes[(static_cast<size_t>(h) * D + d) * key_words + w]))
            << "head " << h << " channel " << d << " word " << w;
    for (int d = 0; d < D; ++d)
      for (int g = 0; g < key_groups; ++g) {
        const size_t i = (static_cast<size_t>(h) * D + d) * key_groups + g;
        ASSERT_EQ(scales[static_cast<size_t>(d)][static_cast<size_t>(g)], key_scale[i]);
        ASSERT_EQ(mins[static_cast<size_t>(d)][static_cast<size_t>(g)], key_mn[i]);
      }
    // Values of [0, vq_aligned): the first piece, token-major words.
    if (vq_aligned > 0) {
      const quant::QTensor& q = head.segments.at(0).value.parts.at(0).packed;
      const auto value_codes = c.at("value_codes").i32();
      const auto value_mn = c.at("value_mn").u16();
      const size_t wpr = static_cast<size_t>(D / c_per_word), gpr = static_cast<size_t>(D / G);
      ASSERT_EQ(q.tokens, vq_aligned);
      for (int t = 0; t < vq_aligned; ++t) {
        for (size_t w = 0; w < wpr; ++w)
          ASSERT_EQ(q.words[t * wpr + w], static_cast<uint32_t>(value_codes[(static_cast<size_t>(h) * vq + t) * wpr + w]));
        for (size_t g = 0; g < gpr; ++g) {
          ASSERT_EQ(q.scales[t * gpr + g], value_scale[(static_cast<size_t>(h) * vq + t) * gpr + g]);
          ASSERT_EQ(q.mins[t * gpr + g], value_mn[(static_cast<size_t>(h) * vq + t) * gpr + g]);
        }
      }
    }
    // Dequantized: within one fp16 ulp of theirs; the fp16 residual exactly the input.
    std::vector<float> k, v;
    cache::dequantize_head(head, D, k, v);
    const float* k_in = kv.k_head(0, h);
    const float* v_in = kv.v_head(0, h);
    for (int t = 0; t < T; ++t)
      for (int d = 0; d < D; ++d) {
        const size_t i = static_cast<size_t>(t) * D + d;
        if (t < kq) {
          const float ref = key_deq[(static_cast<size_t>(h) * kq + t) * D + d];
          const float s = quant::half_to_float(key_scale[(static_cast<size_t>(h) * D + d) * key_groups + t / G]);
          ASSERT_LE(std::fabs(k[i] - ref), half_ulp(ref) + half_ulp(levels * s)) << "key t " << t << " d " << d;
        } else {
          ASSERT_EQ(k[i], k_in[i]) << "fp16 residual key t " << t;
        }
        if (t < vq_aligned) {
          const float ref = value_deq[(static_cast<size_t>(h) * vq + t) * D + d];
          const float s = quant::half_to_float(value_scale[(static_cast<size_t>(h) * vq + t) * (D / G) + d / G]);
          ASSERT_LE(std::fabs(v[i] - ref), half_ulp(ref) + half_ulp(levels * s)) << "value t " << t << " d " << d;
        } else {
          ASSERT_EQ(v[i], v_in[i]) << "fp16 value t " << t;
        }
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KiviOracle,
                         ::testing::Values("k2_g32_r32_t100_d64", "k4_g32_r128_t160_d128", "k2_g128_r128_t300_d128"));

// Their code has no max == min guard: (x - mn) / 0. On the H100 the NaN became code 0, which is
// what our explicit guard stores; the other groups must still match word for word.
TEST(KiviOracleConstantGroup, GuardMatchesTheirGpuResult) {
  const auto& file = kivi_oracle();
  if (file.cases.empty()) GTEST_SKIP() << "tests/data/oracle/kivi.{json,bin} missing";
  const testing::OracleCase& c = file.cases.at("constant_group_k2_g32");
  const std::vector<float> keys = c.at("keys").f32();  // [1][1][64][64]
  quant::QuantSpec spec = quant::uniform_spec(quant::QuantBits::b2, 32, quant::GroupAxis::tokens);
  spec.compute = quant::ComputeMode::fp16;
  const quant::QTensor q = quant::quantize(keys, 64, 64, spec);
  const auto theirs = c.at("key_codes").i32();
  for (size_t i = 0; i < q.words.size(); ++i) ASSERT_EQ(q.words[i], static_cast<uint32_t>(theirs[i])) << "word " << i;
  EXPECT_EQ(q.scales[5 * 2 + 0], 0u);  // channel 5, group 0: constant, scale 0
  const std::vector<float> back = quant::dequantize(q);
  for (int t = 0; t < 32; ++t) EXPECT_EQ(back[static_cast<size_t>(t) * 64 + 5], 0.75f);
}

}  // namespace
}  // namespace wq::methods
