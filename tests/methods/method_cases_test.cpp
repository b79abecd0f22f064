// Every method, easy and hard settings, through the same generic checks (kvpress's
// default_presses pattern): the plan applies in both cache modes with identical answers, the
// effective bits land on the expected figure (the budget for budgeted methods), planning is
// deterministic, and a wrong parameter is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/cache/kv_bits.h"
#include "core/method/compress.h"
#include "core/method/kv_method.h"
#include "tests/methods/synthetic.h"

namespace wq::methods {
namespace {

struct MethodCase {
  std::string label;
  std::string method;
  std::string params;
  double expected_effective;  // analytic figure (see the comment of each row)
  double tolerance;
};

// Synthetic context: 256 visual tokens (16 frames x 16), head_dim 64, text fp16 (not counted).
const std::vector<MethodCase> kCases = {
    {"fp16", "fp16", "{}", 16.0, 1e-9},
    // 4 bits + fp16 scale and min per 32 elements (keys per-channel, values per-token).
    {"uniform_easy", "uniform", "{bits: 4}", 5.0, 1e-9},
    // 2 bits + 32/64 metadata, both per-token.
    {"uniform_hard", "uniform", "{bits: 2, key_axis: token, key_group_size: 64, value_group_size: 64}", 2.5, 1e-9},
    // keys: 256 % 32 = 0, all 2-bit (3.0); values: 224 at 3.0 + last 32 fp16 -> 4.625.
    {"kivi_easy", "kivi", "{bits: 2, group_size: 32, residual: 32}", (3.0 + 4.625) / 2, 1e-9},
    // keys all 4-bit (5.0); values 128 at 5.0 + 128 fp16 -> 10.5.
    {"kivi_hard", "kivi", "{bits: 4, group_size: 32, residual: 128}", (5.0 + 10.5) / 2, 1e-9},
    // code: no salient tokens survive (k = 32, minus 32); keys 2-bit half 3.0, FFT half 2x1.5;
    // values ternary in 2-bit slots + scale/32 = 2.5; plus 16-bit channel indices per part.
    {"vidkv_code", "vidkv", "{variant: code, salient_ratio: 0.2}", 2.75 + 64.0 * 16 / (2 * 256.0 * 64), 1e-6},
    // paper: 51 salient tokens stored first (values 2-bit), 205 others; every segment pays whole
    // words and a last short group. Per layer and head, in bits: keys salient: 32 outlier
    // channels x (4 words + 2 scales + 2 mins) + 64 FFT reals x (2 words + 2 scales) + 2 index
    // lists of 32 channels; keys rest: 32 x (13 words + 7 + 7) + 64 x (7 words + 7 scales) + lists;
    // values: 64 x (4 words + 2 + 2) and 64 x (13 words + 7 scales); plus a 32-bit index per
    // salient token. Over 256 tokens x 64 channels x 2 tensors.
    {"vidkv_paper", "vidkv", "{variant: paper, salient_ratio: 0.2}",
     (32 * (4 * 32 + 2 * 32) + 64 * (2 * 32 + 2 * 16) + 1024 + 32 * (13 * 32 + 7 * 32) + 64 * (7 * 32 + 7 * 16) + 1024 +
      64 * (4 * 32 + 2 * 32) + 64 * (13 * 32 + 7 * 16) + 32 * 51) / (256.0 * 64 * 2),
     1e-9},
    // 2 bits + 1 metadata; 8 fp16 pivot tokens a layer and 32 fp16 residual tokens (an overlap
    // of pivots and residual would lower it by 13/256 per token).
    {"akvq_vl", "akvq_vl", "{bits: 2}", (216 * 3.0 + 40 * 16.0) / 256, 0.1},
    {"token_mixed_easy", "token_mixed", "{bits: [4, 2], budget_bits: 4.0, residual: 0}", 4.0, 0.05},
    {"token_mixed_hard", "token_mixed", "{bits: [8, 4, 2], top_fractions: [0.05], budget_bits: 6.0}", 6.0, 0.05},
    {"windowquant_easy", "windowquant", "{bits: [4, 2], budget_bits: 4.0, residual: 0}", 4.0, 0.2},
    {"windowquant_tiers", "windowquant", "{bits: [8, 4, 2], allocation: tiers, top_fractions: [0.1], budget_bits: 5.0}", 5.0, 0.2},
    {"windowquant_key_query", "windowquant", "{similarity: key_query, window_unit: tokens, window_size: 24, budget_bits: 3.5, residual: 0}", 3.5, 0.25},
    {"windowquant_attention", "windowquant", "{similarity: attention_mass, bits: [4, 2, 1], budget_bits: 3.0, reorder: false, residual: 0}", 3.0, 0.25},
};

class MethodCaseTest : public ::testing::TestWithParam<MethodCase> {};

TEST_P(MethodCaseTest, PlanAppliesAndModesAgree) {
  const auto s = testing::make_synthetic();
  auto method = make_method(GetParam().method, GetParam().params);
  const cache::Plan plan = method->plan(s.kv, s.ctx);
  const auto simulated = cache::build_cache(s.kv, plan, cache::CacheMode::simulate);
  const auto packed = cache::build_cache(s.kv, plan, cache::CacheMode::packed);
  ASSERT_EQ(simulated.layers.size(), static_cast<size_t>(s.kv.layers));
  for (size_t l = 0; l < simulated.layers.size(); ++l)
    for (size_t h = 0; h < simulated.layers[l].heads.size(); ++h) {
      std::vector<float> ks, vs, kp, vp;
      cache::dequantize_head(simulated.layers[l].heads[h], s.kv.head_dim, ks, vs);
      cache::dequantize_head(packed.layers[l].heads[h], s.kv.head_dim, kp, vp);
      ASSERT_EQ(ks, kp) << "layer " << l << " head " << h;
      ASSERT_EQ(vs, vp) << "layer " << l << " head " << h;
    }
  // Accuracy is the business of the method-specific tests; here: finite, and exact for fp16.
  const double error = testing::attention_error(s, simulated);
  EXPECT_TRUE(std::isfinite(error));
  if (GetParam().method == "fp16") {
    EXPECT_LT(error, 1e-6);
  }
}

TEST_P(MethodCaseTest, LayoutModeAccountsExactlyAsPacked) {
  // What a GPU-built cache records (segments, positions, bits) without quantizing on the CPU.
  const auto s = testing::make_synthetic();
  auto method = make_method(GetParam().method, GetParam().params);
  const cache::Plan plan = method->plan(s.kv, s.ctx);
  const auto packed = cache::build_cache(s.kv, plan, cache::CacheMode::packed);
  const auto layout = cache::build_cache(s.kv, plan, cache::CacheMode::layout);
  const auto visual = s.ctx.visual_mask();
  const cache::KvBits a = cache::kv_bits(packed, visual), b = cache::kv_bits(layout, visual);
  EXPECT_EQ(a.effective(), b.effective());
  EXPECT_EQ(a.nominal(), b.nominal());
  EXPECT_EQ(cache::cache_bytes(packed).stored, cache::cache_bytes(layout).stored);
  EXPECT_EQ(cache::cache_bytes(packed).fp16, cache::cache_bytes(layout).fp16);
  for (size_t l = 0; l < packed.layers.size(); ++l) {
    const cache::HeadCache& p = packed.layers[l].heads[0];
    const cache::HeadCache& q = layout.layers[l].heads[0];
    EXPECT_EQ(p.positions, q.positions);
    ASSERT_EQ(p.segments.size(), q.segments.size());
    for (size_t i = 0; i < p.segments.size(); ++i) {
      EXPECT_EQ(p.segments[i].begin, q.segments[i].begin);
      EXPECT_EQ(p.segments[i].kind, q.segments[i].kind);
      EXPECT_TRUE(q.segments[i].key.values.empty() && q.segments[i].key.parts.empty());
    }
  }
  std::vector<float> k, v;
  if (!layout.layers[0].heads[0].segments.empty() && layout.layers[0].heads[0].context_tokens() > 0) {
    EXPECT_THROW(cache::dequantize_head(layout.layers[0].heads[0], s.kv.head_dim, k, v), std::logic_error);
  }
}

TEST_P(MethodCaseTest, KeepsBudget) {
  const auto s = testing::make_synthetic();
  auto method = make_method(GetParam().method, GetParam().params);
  const auto compressed = compress(*method, s.kv, s.ctx);
  const double effective = cache::kv_bits(compressed, s.ctx.visual_mask()).effective();
  EXPECT_NEAR(effective, GetParam().expected_effective, GetParam().tolerance) << GetParam().label;
}

TEST_P(MethodCaseTest, Deterministic) {
  const auto s = testing::make_synthetic();
  const auto a = cache::simulate_cache(s.kv, make_method(GetParam().method, GetParam().params)->plan(s.kv, s.ctx));
  const auto b = cache::simulate_cache(s.kv, make_method(GetParam().method, GetParam().params)->plan(s.kv, s.ctx));
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.v, b.v);
}

TEST_P(MethodCaseTest, UnknownParameterIsAnError) {
  EXPECT_THROW(make_method(GetParam().method, "{no_such_knob: 1}"), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(AllMethods, MethodCaseTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<MethodCase>& info) { return info.param.label; });

TEST(MethodRegistry, EveryMethodIsRegistered) {
  for (const char* name : {"fp16", "uniform", "kivi", "token_mixed", "vidkv", "akvq_vl", "windowquant"})
    EXPECT_NE(MethodRegistry::instance().find(name), nullptr) << name;
}

TEST(MethodParams, OutOfRangeAndBadChoiceAreErrors) {
  EXPECT_THROW(make_method("kivi", "{bits: 3}"), std::exception);
  EXPECT_THROW(make_method("uniform", "{key_axis: diagonal}"), std::invalid_argument);
  EXPECT_THROW(make_method("kivi", "{group_size: 0}"), std::invalid_argument);
}

}  // namespace
}  // namespace wq::methods
