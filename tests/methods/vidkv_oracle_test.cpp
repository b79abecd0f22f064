// `vidkv` (variant: code) against the authors' own code (KD-TAO/VidKV @ 0e55c39,
// tests/data/oracle/README.md). Each decision is checked on its own (salient tokens, outlier
// channels, the 1-bit rule on their FFT output, ternary codes), then the whole method through
// the cache: keys and values dequantized against theirs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "baselines/vidkv.h"
#include "core/method/compress.h"
#include "core/method/kv_method.h"
#include "core/quant/quantize.h"
#include "tests/methods/oracle_fixture.h"

namespace wq::methods {
namespace {

using testing::half_ulp;

const testing::OracleFile& vidkv_oracle() {
  static const testing::OracleFile file = testing::load_oracle("vidkv");
  return file;
}

#define SKIP_WITHOUT_ORACLE()                                                     \
  if (vidkv_oracle().cases.empty())                                               \
  GTEST_SKIP() << "tests/data/oracle/vidkv.{json,bin} missing: run scripts/oracle/make_oracle_fixtures.py"

ContextDescription stp_context(const testing::OracleCase& c) {
  const int sys = c.params["system_tokens"], nvis = c.params["visual_tokens"], T = c.params["T"];
  ContextDescription ctx;
  ctx.context_tokens = T;
  for (int i = 0; i < nvis; ++i) {
    ctx.visual_positions.push_back(sys + i);
    ctx.frame_index.push_back(0);
  }
  ctx.hidden = static_cast<int>(c.at("visual_embeds").shape[1]);
  ctx.visual_embeddings = c.at("visual_embeds").f32();
  ctx.query_embeddings = c.at("query_embeds").f32();
  ctx.query_token_ids.assign(static_cast<size_t>(c.at("query_embeds").shape[0]), 0);
  return ctx;
}

TEST(VidkvOracle, SalientTokens) {
  SKIP_WITHOUT_ORACLE();
  const auto& c = vidkv_oracle().cases.at("stp_d64_t261");
  const ContextDescription ctx = stp_context(c);
  const std::vector<float> theirs = c.at("avg_sim").f32();
  const std::vector<float> ours = vidkv::salient_scores(ctx, true);
  for (size_t i = 0; i < ours.size(); ++i) ASSERT_LE(std::fabs(ours[i] - theirs[i]), half_ulp(theirs[i])) << i;
  const auto expected = c.at("salient_tokens").i32();
  const double ratio = c.params["vidkv_stp"];
  const std::vector<int> from_their_scores = vidkv::salient_tokens(theirs, ctx, ratio, true);
  const std::vector<int> from_our_scores = vidkv::salient_tokens(ours, ctx, ratio, true);
  EXPECT_EQ(from_their_scores, std::vector<int>(expected.begin(), expected.end()));
  EXPECT_EQ(from_our_scores, std::vector<int>(expected.begin(), expected.end()));
}

class VidkvOracleCase : public ::testing::TestWithParam<std::string> {};

TEST_P(VidkvOracleCase, OutlierChannels) {
  SKIP_WITHOUT_ORACLE();
  const auto& c = vidkv_oracle().cases.at(GetParam());
  const cache::FullKv kv = testing::full_kv_from(c.at("keys"), c.at("values"));
  std::vector<int> tokens(static_cast<size_t>(c.params["quantized_tokens"].get<int>()));
  std::iota(tokens.begin(), tokens.end(), 0);
  const auto expected = c.at("key_difficult_idx").i32();
  EXPECT_EQ(vidkv::difficult_channels(kv, 0, tokens, 0.5, true), std::vector<int>(expected.begin(), expected.end()));
}

// Their 1-bit rule applied to their own fp16 FFT output: codes and scales bit for bit.
TEST_P(VidkvOracleCase, OneBitRuleOnTheirFft) {
  SKIP_WITHOUT_ORACLE();
  const auto& c = vidkv_oracle().cases.at(GetParam());
  const auto& fft = c.at("key_easy_fft");  // [1][H][T][2n] re/im interleaved
  const int H = static_cast<int>(fft.shape[1]), T = static_cast<int>(fft.shape[2]), C = static_cast<int>(fft.shape[3]);
  const std::vector<float> x = fft.f32();
  const auto codes = c.at("q_easy_codes").i32();
  const auto scales = c.at("q_easy_scale").u16();
  quant::QuantSpec spec = quant::uniform_spec(quant::QuantBits::b1, 32, quant::GroupAxis::tokens);
  spec.one_bit_rule = quant::OneBitRule::sign_meanabs;
  for (int h = 0; h < H; ++h) {
    const quant::QTensor q = quant::quantize(x.data() + static_cast<size_t>(h) * T * C, T, C, spec);
    for (size_t i = 0; i < q.words.size(); ++i)
      ASSERT_EQ(q.words[i], static_cast<uint32_t>(codes[static_cast<size_t>(h) * q.words.size() + i])) << "word " << i;
    for (size_t i = 0; i < q.scales.size(); ++i)
      ASSERT_EQ(q.scales[i], scales[static_cast<size_t>(h) * q.scales.size() + i]) << "scale " << i;
  }
}

// The whole method through the cache. Keys: salient tokens off, so stored order = original
// order as in their code. Outlier channels within their dequantizer's fp16 roundings. FFT
// channels: their FFT runs in fp16 on cuFFT, ours in fp32, so a coefficient near zero can
// change sign; one flipped 1-bit coefficient moves its token's reconstruction by up to
// 2·s/n. Bounded: RMS difference <= 3% of the RMS reconstruction, <= 5% of tokens touched.
TEST_P(VidkvOracleCase, KeysThroughTheCache) {
  SKIP_WITHOUT_ORACLE();
  const auto& c = vidkv_oracle().cases.at(GetParam());
  const cache::FullKv kv = testing::full_kv_from(c.at("keys"), c.at("values"));
  const int H = kv.kv_heads, D = kv.head_dim, tq = c.params["quantized_tokens"];
  auto method = make_method("vidkv", "{variant: code, salient_ratio: 0, quantize_text: true}");
  const auto compressed = compress(*method, kv, all_visual_context(kv.tokens, kv.tokens));
  const auto theirs = c.at("key_dequant").f32();
  const auto hard = c.at("key_difficult_idx").i32();
  double diff2 = 0, ref2 = 0;
  int tokens_touched = 0;
  for (int h = 0; h < H; ++h) {
    std::vector<float> k, v;
    cache::dequantize_head(compressed.layers[0].heads[static_cast<size_t>(h)], D, k, v);
    for (int t = 0; t < kv.tokens; ++t) {
      bool touched = false;
      for (int d = 0; d < D; ++d) {
        const size_t i = static_cast<size_t>(t) * D + d;
        if (t >= tq) {
          ASSERT_EQ(k[i], kv.k_head(0, h)[i]) << "fp16 tail (T mod 32) token " << t;
          continue;
        }
        const float ref = theirs[(static_cast<size_t>(h) * tq + t) * D + d];
        if (std::find(hard.begin(), hard.end(), d) != hard.end()) {
          ASSERT_LE(std::fabs(k[i] - ref), half_ulp(ref) + half_ulp(16.0f)) << "2-bit channel " << d << " token " << t;
        } else {
          diff2 += (k[i] - ref) * (k[i] - ref);
          ref2 += ref * ref;
          touched = touched || std::fabs(k[i] - ref) > 4 * half_ulp(ref) + 1e-3f;
        }
      }
      tokens_touched += touched;
    }
  }
  const double rms = std::sqrt(diff2 / ref2), touched_fraction = tokens_touched / static_cast<double>(H * tq);
  std::printf("[vidkv keys %s] FFT channels: relative RMS difference %.4f, tokens touched %.4f\n", GetParam().c_str(),
              rms, touched_fraction);
  EXPECT_LE(rms, 0.03);
  EXPECT_LE(touched_fraction, 0.05);
}

// Values: ternary dequantized to raw {-1, 0, +1} (their defect) and salient tokens at 2 bits,
// each group over salient / non-salient tokens as their gather does. Their dead-zone threshold
// is fp16(0.5 · fp16(mean|x|)), ours 0.5 · mean|x| unrounded (core/quant's ternary rule), so an
// |x| within an fp16 rounding of the threshold may land on the adjacent level: allowed for at
// most 1 element in 2048; everything else exact to their dequantizer's roundings.
TEST_P(VidkvOracleCase, ValuesThroughTheCache) {
  SKIP_WITHOUT_ORACLE();
  const auto& c = vidkv_oracle().cases.at(GetParam());
  const cache::FullKv kv = testing::full_kv_from(c.at("keys"), c.at("values"));
  const int D = kv.head_dim, tq = c.params["quantized_tokens"];
  const bool stp = c.params.contains("vidkv_stp");
  ContextDescription ctx = stp ? stp_context(c) : all_visual_context(kv.tokens, kv.tokens);
  const std::string ratio = stp ? std::to_string(c.params["vidkv_stp"].get<double>()) : "0";
  auto method = make_method("vidkv", "{variant: code, quantize_text: true, salient_ratio: " + ratio + "}");
  const cache::Plan plan = method->plan(kv, ctx);
  const auto theirs = c.at("value_dequant").f32();
  int threshold_ties = 0, total = 0;
  for (int h = 0; h < kv.kv_heads; ++h) {
    const auto [k, v] = cache::simulate_head(kv.k_head(0, h), kv.v_head(0, h), kv.tokens, D, plan.for_layer(0));
    for (int t = 0; t < kv.tokens; ++t)
      for (int d = 0; d < D; ++d) {
        const size_t i = static_cast<size_t>(t) * D + d;
        if (t >= tq) {
          ASSERT_EQ(v[i], kv.v_head(0, h)[i]);
          continue;
        }
        ++total;
        const float ref = theirs[(static_cast<size_t>(h) * tq + t) * D + d];
        if (std::fabs(v[i] - ref) == 1.0f && std::fabs(ref) <= 1.0f && std::fabs(v[i]) <= 1.0f) {
          ++threshold_ties;
          continue;
        }
        ASSERT_LE(std::fabs(v[i] - ref), half_ulp(ref) + half_ulp(8.0f)) << "head " << h << " token " << t << " channel " << d;
      }
  }
  std::printf("[vidkv values %s] ternary threshold ties %d of %d\n", GetParam().c_str(), threshold_ties, total);
  EXPECT_LE(threshold_ties, total / 2048);
}

INSTANTIATE_TEST_SUITE_P(Cases, VidkvOracleCase, ::testing::Values("stp_d64_t261", "vlm_d128_t64"));

}  // namespace
}  // namespace wq::methods
