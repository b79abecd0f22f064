// token_mixed: token-level mixed precision, the family WindowQuant argues against (MiKV,
// ZipCache, QAQ). Canonical form (methods.md): a token's score is the ZipCache-normalised
// attention mass the query's probe queries put on it, averaged over heads; tokens are ranked
// per layer; the top fractions get the wide widths, fractions set to meet the budget. Tokens
// keep their order, so widths stay interleaved and every token carries its own width, scale
// and zero-point (docs/packing.md token-interleaved layout). Keys are channel-separable as
// ZipCache quantizes them (keys: channel_separable, core/cache/key_channel_norm.h): raw
// per-token keys (keys: per_token) let a few outlier channels set every token's range.
#include <algorithm>

#include "core/method/kv_method.h"
#include "core/method/method_common.h"
#include "core/windowquant/allocation.h"

namespace wq::methods {
namespace {

class TokenMixedMethod final : public KvMethod {
 public:
  explicit TokenMixedMethod(const Params& p)
      : widths_(bits_list_param(p, "bits")),
        top_fractions_(p.get_float_list("top_fractions")),
        budget_(p.get_float("budget_bits")),
        effective_(p.get_string("budget_kind") == "effective"),
        group_(static_cast<int>(p.get_int("group_size"))),
        residual_(static_cast<int>(p.get_int("residual"))),
        channel_separable_(p.get_string("keys") == "channel_separable") {
    std::sort(widths_.begin(), widths_.end(), [](auto a, auto b) { return bits_to_number(a) > bits_to_number(b); });
    widths_.erase(std::unique(widths_.begin(), widths_.end()), widths_.end());
    for (auto b : widths_)
      if (b == QuantBits::b1_58) p.fail("bits", "the interleaved layout has no ternary widths");
    if (widths_.size() > 1 && !top_fractions_.empty() && top_fractions_.size() + 2 != widths_.size())
      p.fail("top_fractions", "needs one fraction per width except the last two");
  }

  cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) override {
    const std::vector<TokenRun> runs = visual_runs(ctx, residual_);
    std::vector<int> tokens;
    for (const TokenRun& r : runs)
      for (int t = r.begin; t < r.end; ++t) tokens.push_back(t);
    const int quantizable = static_cast<int>(tokens.size());
    windowquant::AllocationProblem problem;
    problem.sizes.assign(tokens.size(), 1);
    for (auto b : widths_) problem.width_cost.push_back(cost_per_token(b, kv.head_dim));
    problem.budget = budget_ * ctx.num_visual() - 16.0 * (ctx.num_visual() - quantizable);
    // The key factors of a head (16 bits per channel) over its 2 x head_dim elements per token.
    if (channel_separable_ && effective_) problem.budget -= 16.0 * kv.head_dim / (2.0 * kv.head_dim);
    windowquant::require_feasible(problem, "token_mixed", budget_, ctx.num_visual(), effective_ ? "effective" : "nominal");
    cache::Plan plan;
    for (int layer = 0; layer < kv.layers; ++layer) {
      // Search cost: Q × T × heads per layer for the mass, plus a sort per layer.
      const std::vector<double> mass = probe_attention_mass(kv, ctx, layer);
      problem.scores.clear();
      for (int t : tokens) problem.scores.push_back(mass[static_cast<size_t>(t)]);
      const std::vector<int> chosen = windowquant::allocate_tiers(problem, top_fractions_);
      cache::LayerPlan lp;
      lp.key_channel_norm = channel_separable_;
      size_t next = 0;
      for (const TokenRun& r : runs) {
        cache::InterleavedPiece piece{r.begin, r.end, {}, group_};
        for (int t = r.begin; t < r.end; ++t) piece.bits.push_back(widths_[static_cast<size_t>(chosen[next++])]);
        lp.interleaved.push_back(std::move(piece));
      }
      plan.layers.push_back(std::move(lp));
    }
    return plan;
  }

 private:
  // Bits per element of one token at width b: codes, fp16 scale and min per group, and the
  // per-token side storage a kernel reads (uint8 width + uint32 word offset) over D channels.
  double cost_per_token(QuantBits b, int head_dim) const {
    if (!effective_) return bits_to_number(b);
    const double side = 40.0 / head_dim;
    if (b == QuantBits::b16) return 16.0 + side;
    return spec_bits_per_element(make_spec(b, group_, quant::GroupAxis::channels)) + side;
  }

  std::vector<QuantBits> widths_;
  std::vector<double> top_fractions_;
  double budget_;
  bool effective_;
  int group_;
  int residual_;
  bool channel_separable_;
};

const Registration<KvMethod> reg{
    {"token_mixed",
     "token-level mixed precision by normalised probe attention (MiKV/ZipCache family), interleaved widths",
     {float_list_param("bits", "[4, 2]", "token widths (1, 2, 3, 4, 8, 16), widest first after sorting", 1, 16),
      float_list_param("top_fractions", "[]", "fraction of tokens at each width but the last two", 0, 1),
      float_param("budget_bits", 3.0, "average bits per visual K/V element", 0.5, 16),
      choice_param("budget_kind", "effective", {"effective", "nominal"}, "what the budget counts (protocol.md)"),
      int_param("group_size", 32, "channels per group (K and V per-token)", 1, 4096),
      int_param("residual", 32, "last context tokens kept in full precision", 0, 1 << 20),
      choice_param("keys", "channel_separable", {"channel_separable", "per_token"},
                   "keys divided by per-channel factors before per-token quantization (ZipCache), or raw")},
     [](const Params& p) { return std::make_unique<TokenMixedMethod>(p); }}};

}  // namespace
}  // namespace wq::methods
