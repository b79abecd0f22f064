// The decode-time tail rule (core/cache/tail_rule.h, KIVI's decode residual): which tail
// tokens it quantizes when, its refusals, and the CPU packed context moving the same tokens at
// the same step as simulate mode's in-place rule, read by the kernels.
#include <gtest/gtest.h>

#include <cmath>

#include "core/cache/context_attention.h"
#include "core/cache/reference_attention.h"
#include "core/cache/tail_rule.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::GroupAxis;
using quant::QuantBits;
using quant::uniform_spec;
using testing::random_matrix;

TailRule kivi_rule(int residual, int group, QuantBits bits = QuantBits::b2) {
  return {residual, uniform_spec(bits, group, GroupAxis::tokens), uniform_spec(bits, 32, GroupAxis::channels)};
}

TEST(TailRule, KeysInWholeBlocksValuesOnceResidualNewerTokensFollowAChunk) {
  const TailRule rule = kivi_rule(64, 32);
  const std::vector<std::array<int, 3>> cases = {
      // tail tokens, quantized keys, quantized values
      {0, 0, 0},    {63, 0, 0},   {64, 64, 0},  {95, 64, 0},   {96, 64, 32},
      {127, 64, 32}, {128, 128, 64}, {130, 128, 64}, {200, 192, 128}};
  for (const auto& [n, keys, values] : cases) {
    const TailSplit split = tail_split(rule, n);
    EXPECT_EQ(split.keys, keys) << n;
    EXPECT_EQ(split.values, values) << n;
  }
  EXPECT_EQ(tail_split(TailRule{}, 500).keys, 0);  // off: the tail stays full precision
  EXPECT_EQ(tail_chunk_tokens(rule), 32);
}

TEST(TailRule, RefusesRulesItCannotApply) {
  EXPECT_NO_THROW(validate(TailRule{}, 64));
  EXPECT_NO_THROW(validate(kivi_rule(64, 32), 64));
  EXPECT_THROW(validate(kivi_rule(48, 32), 64), std::invalid_argument);  // R not a multiple of G
  TailRule per_token_keys = kivi_rule(32, 32);
  per_token_keys.key.axis = GroupAxis::channels;
  EXPECT_THROW(validate(per_token_keys, 64), std::invalid_argument);
  TailRule fp16_values = kivi_rule(32, 32);
  fp16_values.value = quant::fp16_spec();
  EXPECT_THROW(validate(fp16_values, 64), std::invalid_argument);
  EXPECT_THROW(validate(kivi_rule(32, 32), 48), std::invalid_argument);  // value group 32 ∤ 48
}

TEST(TailRule, PackedContextMovesWhatSimulateModeMovesAtEveryStep) {
  // A query of 5 tokens, then one token per step up to 90: after every append the packed
  // context (chunks packed, read by the kernels) and the reference attention over the context
  // plus the tail as simulate mode leaves it (quantized and dequantized in place) agree.
  const int H = 2, T = 40, D = 32, Hq = 4, Q = 1, total = 90, R = 32, G = 16;
  const TailRule rule = kivi_rule(R, G);
  LayerPlan plan;
  plan.pieces.push_back({0, 32, {uniform_spec(QuantBits::b2, 16, GroupAxis::tokens), {}},
                         {uniform_spec(QuantBits::b2, 32, GroupAxis::channels), {}}});
  const auto k = random_matrix(size_t(H) * T * D, 71), v = random_matrix(size_t(H) * T * D, 72);
  KvCache cache;
  cache.mode = CacheMode::packed;
  cache.layers.push_back(build_layer(k.data(), v.data(), H, T, D, plan, CacheMode::packed));
  PackedContext with_rule(cache, rule), without_rule(cache);
  const auto tk = random_matrix(size_t(H) * total * D, 140), tv = random_matrix(size_t(H) * total * D, 141);
  std::vector<std::vector<float>> sim_k(H), sim_v(H);  // [H][appended][D]: simulate mode's tail
  double largest_effect = 0;
  for (int appended = 0; appended < total;) {
    const int n = appended == 0 ? 5 : 1;
    std::vector<float> step_k, step_v;
    for (int h = 0; h < H; ++h) {
      const auto row = size_t(h) * total * D + size_t(appended) * D;
      step_k.insert(step_k.end(), tk.begin() + row, tk.begin() + row + size_t(n) * D);
      step_v.insert(step_v.end(), tv.begin() + row, tv.begin() + row + size_t(n) * D);
      sim_k[h].insert(sim_k[h].end(), tk.begin() + row, tk.begin() + row + size_t(n) * D);
      sim_v[h].insert(sim_v[h].end(), tv.begin() + row, tv.begin() + row + size_t(n) * D);
      simulate_tail_growth(rule, sim_k[h].data(), sim_v[h].data(), appended, appended + n, D);
    }
    with_rule.append(0, step_k.data(), step_v.data(), n);
    without_rule.append(0, step_k.data(), step_v.data(), n);
    appended += n;
    ASSERT_EQ(with_rule.tail_tokens(0), appended);
    ASSERT_EQ(with_rule.full_precision_tail_tokens(0), appended - tail_split(rule, appended).keys);

    KvCache expected = cache;
    std::vector<float> all_k, all_v;
    for (int h = 0; h < H; ++h) {
      all_k.insert(all_k.end(), sim_k[h].begin(), sim_k[h].end());
      all_v.insert(all_v.end(), sim_v[h].begin(), sim_v[h].end());
    }
    append_tail(expected.layers[0], all_k.data(), all_v.data(), appended, T);
    const auto q = random_matrix(size_t(Hq) * Q * D, 150 + unsigned(appended));
    std::vector<float> out(q.size()), lse(size_t(Hq) * Q), plain(q.size()), plain_lse(lse.size());
    with_rule.attend(0, q.data(), Hq, Q, out.data(), lse.data());
    without_rule.attend(0, q.data(), Hq, Q, plain.data(), plain_lse.data());
    AttentionOptions opt;
    opt.causal_tail = false;
    const AttentionOutput ref = reference_attention(q.data(), Hq, Q, expected.layers[0], opt);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_NEAR(out[i], ref.out[i], 2e-5) << "appended " << appended << " i " << i;
      largest_effect = std::max(largest_effect, double(std::abs(out[i] - plain[i])));
    }
  }
  EXPECT_GT(largest_effect, 1e-2);  // the rule quantized something that attention reads
}

}  // namespace
}  // namespace wq::cache
