// WindowQuant's own promises: windows cut as configured, budget_exact within one window of the
// budget, reordering makes every width one contiguous segment, and on a cache whose
// query-relevant frames are known it beats uniform 2-bit on attention-output error.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/cache/kv_bits.h"
#include "core/method/compress.h"
#include "core/method/kv_method.h"
#include "core/method/method_common.h"
#include "core/windowquant/allocation.h"
#include "core/windowquant/similarity.h"
#include "core/windowquant/windows.h"
#include "tests/methods/synthetic.h"

namespace wq::windowquant {
namespace {

using methods::testing::attention_error;
using methods::testing::make_synthetic;

TEST(Windows, TokensAndFrames) {
  const auto s = make_synthetic();  // 16 frames x 16 tokens
  const auto by_tokens = make_windows(s.ctx, 250, WindowUnit::tokens, 24);
  ASSERT_EQ(by_tokens.size(), 11u);  // 10 x 24 + a short last window of 10
  EXPECT_EQ(by_tokens.back().size(), 10);
  EXPECT_EQ(by_tokens[0].positions.front(), 14);
  const auto by_frames = make_windows(s.ctx, 256, WindowUnit::frames, 3);
  ASSERT_EQ(by_frames.size(), 6u);  // 5 x 3 frames + 1 frame
  EXPECT_EQ(by_frames[0].size(), 48);
  EXPECT_EQ(by_frames.back().size(), 16);
}

TEST(Similarity, EverySimilarityRanksTheRelevantFramesFirst) {
  const auto s = make_synthetic();
  const auto windows = make_windows(s.ctx, 256, WindowUnit::frames, 1);
  for (const char* name : {"embedding_cosine", "key_query", "attention_mass"}) {
    for (const auto& row : window_scores(parse_similarity(name), s.kv, s.ctx, windows)) {
      const auto ranked = rank_units(row);
      const std::set<int> top(ranked.begin(), ranked.begin() + 2);
      EXPECT_EQ(top, std::set<int>(s.relevant_frames.begin(), s.relevant_frames.end())) << name;
    }
  }
}

TEST(Allocation, BudgetExactIsWithinOneUpgrade) {
  AllocationProblem p;
  p.sizes = {16, 16, 16, 16, 16, 10};
  p.scores = {0.1, 0.9, 0.3, 0.8, 0.2, 0.5};
  p.width_cost = {5.0, 3.0, 2.0};  // 4, 2, 1 bits with metadata
  p.budget = 3.0 * 90;
  const auto widths = allocate_budget_exact(p);
  const double spend = allocation_cost(p, widths);
  EXPECT_LE(spend, p.budget);
  // No single unit could still be upgraded.
  for (size_t u = 0; u < widths.size(); ++u)
    for (int w = 0; w < widths[u]; ++w)
      EXPECT_GT(spend + p.sizes[u] * (p.width_cost[static_cast<size_t>(w)] - p.width_cost[static_cast<size_t>(widths[u])]), p.budget);
  EXPECT_EQ(widths[1], 0);  // best unit widest
  EXPECT_EQ(widths[3], 1);  // 48 more did not fit after unit 1; 16 did
}

// The same units under water_fill. Floor (1 bit, cost 2) for all 90 tokens: 180.
TEST(Allocation, WaterFillRaisesEveryUnitOneWidthBeforeAnyTwo) {
  AllocationProblem p;
  p.sizes = {16, 16, 16, 16, 16, 10};
  p.scores = {0.1, 0.9, 0.3, 0.8, 0.2, 0.5};  // rank: 1, 3, 5, 2, 4, 0
  p.width_cost = {5.0, 3.0, 2.0};
  // 160 over the floor: every unit rises to 2 bits (90), then in rank order units 1 and 3
  // rise to 4 bits (32 each); unit 5 (20) no longer fits.
  p.budget = 180 + 160;
  auto widths = allocate_water_fill(p);
  EXPECT_EQ(widths, (std::vector<int>{1, 0, 1, 0, 1, 1}));
  EXPECT_LE(allocation_cost(p, widths), p.budget);
  // 50 over the floor cannot lift every unit one width: units 1, 3 and 5 rise one (42) and
  // nobody rises two, where budget_exact gives the best unit the widest width (48).
  p.budget = 180 + 50;
  EXPECT_EQ(allocate_water_fill(p), (std::vector<int>{2, 1, 2, 1, 2, 1}));
  EXPECT_EQ(allocate_budget_exact(p), (std::vector<int>{2, 0, 2, 2, 2, 2}));
}

TEST(WindowQuant, BudgetExactHitsTheBudgetWithinOneWindow) {
  const auto s = make_synthetic();
  for (double budget : {2.5, 3.0, 3.7, 4.4}) {
    auto method = methods::make_method("windowquant", "{bits: [4, 2, 1], budget_bits: " + std::to_string(budget) + ", residual: 0}");
    const double effective = cache::kv_bits(methods::compress(*method, s.kv, s.ctx), s.ctx.visual_mask()).effective();
    // Never over; under by at most one window (16 tokens of 256) at the widest upgrade
    // (1 -> 4 bits: 3 bits/element) plus the short last key group of each of the 3 tiers.
    const double one_window = 16.0 / 256.0 * 3.0, short_groups = 3 * 32.0 / (2 * 256.0);
    EXPECT_LE(effective, budget + 1e-9) << budget;
    EXPECT_GE(effective, budget - one_window - short_groups) << budget;
  }
}

TEST(WindowQuant, ReorderMakesEachWidthContiguous) {
  const auto s = make_synthetic();
  for (bool reorder : {true, false}) {
    auto method = methods::make_method("windowquant", std::string("{bits: [8, 4, 2], budget_bits: 4.5, residual: 0, reorder: ") +
                                                          (reorder ? "true" : "false") + "}");
    const cache::LayerPlan plan = method->plan(s.kv, s.ctx).for_layer(0);
    std::map<quant::QuantBits, int> segments_per_width;
    double last_width = 1e9;
    bool descending = true;
    for (const auto& piece : plan.pieces) {
      ++segments_per_width[piece.key.spec.bits];
      const double w = methods::bits_to_number(piece.key.spec.bits);
      descending = descending && w < last_width;
      last_width = w;
    }
    ASSERT_GE(segments_per_width.size(), 2u) << "the budget must mix widths for this test";
    if (reorder) {
      for (const auto& [bits, count] : segments_per_width) EXPECT_EQ(count, 1) << "width " << methods::bits_to_number(bits);
      EXPECT_TRUE(descending);
      // Attention reads the same tokens: the order is a permutation and positions survive.
      const auto compressed = methods::compress(*method, s.kv, s.ctx);
      EXPECT_LT(attention_error(s, compressed), 0.2);
    } else {
      size_t total = 0;
      for (const auto& [bits, count] : segments_per_width) total += static_cast<size_t>(count);
      EXPECT_GT(total, segments_per_width.size()) << "without reordering the widths stay interleaved";
      EXPECT_TRUE(plan.order.empty());
    }
  }
}

// Equal effective bits: uniform 2-bit (G = 32: 3.0 effective) against windowquant spending the
// same budget on the query-relevant frames.
TEST(WindowQuant, BeatsUniformTwoBitAtEqualEffectiveBits) {
  const auto s = make_synthetic();
  auto uniform = methods::make_method("uniform", "{bits: 2}");
  const auto u = methods::compress(*uniform, s.kv, s.ctx);
  const double uniform_bits = cache::kv_bits(u, s.ctx.visual_mask()).effective();
  auto wq = methods::make_method("windowquant", "{bits: [4, 2, 1], residual: 0, budget_bits: " + std::to_string(uniform_bits) + "}");
  const auto w = methods::compress(*wq, s.kv, s.ctx);
  const double wq_bits = cache::kv_bits(w, s.ctx.visual_mask()).effective();
  EXPECT_LE(wq_bits, uniform_bits + 1e-6);
  const double err_uniform = attention_error(s, u), err_wq = attention_error(s, w);
  EXPECT_LT(err_wq, err_uniform) << "windowquant " << err_wq << " vs uniform " << err_uniform;
}

// The brief's literal figure: windowquant at 2.0 effective bits (groups of 128 make room for
// 4-bit windows) against uniform 2-bit at its 3.0 effective bits.
TEST(WindowQuant, AtTwoEffectiveBitsBeatsUniformTwoBit) {
  const auto s = make_synthetic();
  auto uniform = methods::make_method("uniform", "{bits: 2}");
  const auto u = methods::compress(*uniform, s.kv, s.ctx);
  auto wq = methods::make_method("windowquant",
                                 "{bits: [4, 2, 1], residual: 0, budget_bits: 2.0, key_group_size: 128, value_group_size: 64}");
  const auto w = methods::compress(*wq, s.kv, s.ctx);
  EXPECT_LE(cache::kv_bits(w, s.ctx.visual_mask()).effective(), 2.0 + 1e-6);
  const double err_uniform = attention_error(s, u), err_wq = attention_error(s, w);
  EXPECT_LT(err_wq, err_uniform) << "windowquant " << err_wq << " vs uniform " << err_uniform;
}

}  // namespace
}  // namespace wq::windowquant
