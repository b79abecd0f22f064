// windowquant: WindowQuant (arXiv 2605.02262): window-level quantization search plus
// window-level KV layout. Visual tokens are cut into windows (windows.h), each window is
// scored against the query (similarity.h), widths come from the rank under the average
// budget (allocation.h), and windows of one width are stored contiguously (reorder.h).
// The paper leaves the details unpublished; every choice here is a knob (methods.md).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/method/kv_method.h"
#include "core/method/method_common.h"
#include "core/windowquant/allocation.h"
#include "core/windowquant/reorder.h"
#include "core/windowquant/similarity.h"
#include "core/windowquant/windows.h"

namespace wq::windowquant {
namespace {

using methods::ContextDescription;
using quant::QuantSpec;

class WindowQuantMethod final : public methods::KvMethod {
 public:
  explicit WindowQuantMethod(const Params& p)
      : unit_(p.get_string("window_unit") == "frames" ? WindowUnit::frames : WindowUnit::tokens),
        window_size_(static_cast<int>(p.get_int("window_size"))),
        similarity_(parse_similarity(p.get_string("similarity"))),
        allocation_(p.get_string("allocation")),
        widths_(methods::bits_list_param(p, "bits")),
        top_fractions_(p.get_float_list("top_fractions")),
        budget_(p.get_float("budget_bits")),
        effective_(p.get_string("budget_kind") == "effective"),
        residual_(static_cast<int>(p.get_int("residual"))) {
    layout_.reorder = p.get_bool("reorder");
    layout_.key_group_size = static_cast<int>(p.get_int("key_group_size"));
    layout_.value_group_size = static_cast<int>(p.get_int("value_group_size"));
    std::sort(widths_.begin(), widths_.end(), [](auto a, auto b) { return methods::bits_to_number(a) > methods::bits_to_number(b); });
    widths_.erase(std::unique(widths_.begin(), widths_.end()), widths_.end());
    for (auto b : widths_)
      if (b == quant::QuantBits::b1_58) p.fail("bits", "ternary is not a window width (uniform segments are min/max)");
    if (allocation_ == "tiers" && !top_fractions_.empty() && top_fractions_.size() + 2 != widths_.size() && widths_.size() > 1)
      p.fail("top_fractions", "tiers needs one fraction per width except the last two");
  }

  cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) override {
    const int quantizable = static_cast<int>(methods::quantizable_visual(ctx, residual_).size());
    const std::vector<Window> windows = make_windows(ctx, quantizable, unit_, window_size_);
    cache::Plan plan;
    if (windows.empty()) {
      plan.layers.push_back({});
      return plan;
    }
    AllocationProblem problem;
    for (const Window& w : windows) problem.sizes.push_back(w.size());
    for (auto b : widths_) problem.width_cost.push_back(cost_per_token(b));
    // The budget covers every visual token; residual visual tokens are fp16 and the window
    // permutation costs one 32-bit index per window and head (over 2·D elements per token).
    problem.budget = budget_ * ctx.num_visual() - 16.0 * (ctx.num_visual() - quantizable);
    if (effective_ && layout_.reorder) problem.budget -= 32.0 * windows.size() / (2.0 * kv.head_dim);
    require_feasible(problem, "windowquant", budget_, ctx.num_visual(), budget_kind());
    for (const auto& row : window_scores(similarity_, kv, ctx, windows)) {
      problem.scores = row;
      std::vector<int> chosen = allocation_ == "budget_exact" ? allocate_budget_exact(problem)
                                      : allocation_ == "water_fill" ? allocate_water_fill(problem)
                                                                    : allocate_tiers(problem, top_fractions_);
      plan.layers.push_back(layout_within_budget(windows, chosen, problem, ctx, kv.head_dim));
    }
    return plan;
  }

 private:
  // The allocation prices every token alike; the segments then pay whole words and a last,
  // possibly short, key group per tier. Downgrade the lowest-ranked upgraded windows one step
  // at a time until the exact cost of the layout fits (budget_kind effective only).
  cache::LayerPlan layout_within_budget(const std::vector<Window>& windows, std::vector<int>& chosen,
                                        const AllocationProblem& problem, const ContextDescription& ctx, int head_dim) const {
    const std::vector<int> ranked = rank_units(problem.scores);
    const int floor_width = static_cast<int>(widths_.size()) - 1;
    for (;;) {
      std::vector<quant::QuantBits> widths;
      for (int i : chosen) widths.push_back(widths_[static_cast<size_t>(i)]);
      cache::LayerPlan lp = window_layer_plan(windows, widths, ctx.context_tokens, layout_);
      if (!effective_ || layout_bits(lp, ctx, head_dim) <= budget_ * ctx.num_visual() + 1e-9) return lp;
      auto victim = std::find_if(ranked.rbegin(), ranked.rend(), [&](int u) { return chosen[static_cast<size_t>(u)] < floor_width; });
      if (victim == ranked.rend()) throw_infeasible(layout_bits(lp, ctx, head_dim) / ctx.num_visual());
      ++chosen[static_cast<size_t>(*victim)];
    }
  }

  [[noreturn]] void throw_infeasible(double floor_bits) const {
    throw methods::BudgetInfeasible("windowquant", budget_, floor_bits, budget_kind());
  }
  const char* budget_kind() const { return effective_ ? "effective" : "nominal"; }

  // Exact bits of a layout over the visual tokens, in token units (bits per element x tokens):
  // segment words and groups as core/cache stores them, fp16 for visual tokens left out, side.
  static double layout_bits(const cache::LayerPlan& lp, const ContextDescription& ctx, int head_dim) {
    const double d = head_dim;
    double bits = lp.side_bits_per_head, quantized = 0;
    for (const auto& piece : lp.pieces) {
      const double n = piece.end - piece.begin;
      const QuantSpec& k = piece.key.spec;
      const QuantSpec& v = piece.value.spec;
      const double kc = quant::codes_per_word(k), vc = quant::codes_per_word(v);
      const double k_meta = (quant::stores_scale(k) ? 16 : 0) + (quant::stores_min(k) ? 16 : 0);
      const double v_meta = (quant::stores_scale(v) ? 16 : 0) + (quant::stores_min(v) ? 16 : 0);
      bits += d * (std::ceil(n / kc) * 32 + std::ceil(n / k.group_size) * k_meta);
      bits += n * (std::ceil(d / vc) * 32 + (d / v.group_size) * v_meta);
      quantized += n;
    }
    return bits / (2 * d) + 16.0 * (ctx.num_visual() - quantized);
  }

  // Planning cost of one token at width b, in bits per element (K and V averaged).
  double cost_per_token(quant::QuantBits b) const {
    if (!effective_ || b == quant::QuantBits::b16) return methods::bits_to_number(b);
    return methods::kv_bits_per_element(methods::make_spec(b, layout_.key_group_size, quant::GroupAxis::tokens),
                                        methods::make_spec(b, layout_.value_group_size, quant::GroupAxis::channels));
  }

  WindowUnit unit_;
  int window_size_;
  Similarity similarity_;
  std::string allocation_;  // budget_exact | water_fill | tiers
  std::vector<quant::QuantBits> widths_;
  std::vector<double> top_fractions_;
  double budget_;
  bool effective_;
  int residual_;
  LayoutOptions layout_;
};

using methods::bool_param;
using methods::choice_param;
using methods::float_list_param;
using methods::float_param;
using methods::int_param;

const Registration<methods::KvMethod> reg{
    {"windowquant",
     "WindowQuant: window-level bit search by query similarity, windows reordered by width",
     {choice_param("window_unit", "frames", {"tokens", "frames"}, "windows of `window_size` tokens or whole frames"),
      int_param("window_size", 1, "tokens or frames per window (the last window may be short)", 1, 1 << 20),
      choice_param("similarity", "embedding_cosine", {"embedding_cosine", "key_query", "attention_mass"},
                   "how a window is scored against the query"),
      choice_param("allocation", "budget_exact", {"budget_exact", "water_fill", "tiers"},
                   "budget_exact: each window in score order gets the widest width the budget affords; water_fill: "
                   "level by level, every window rises one width before any rises two; tiers: paper-like fractions"),
      float_list_param("bits", "[4, 2]", "window widths (1, 2, 3, 4, 8, 16)", 1, 16),
      float_list_param("top_fractions", "[]", "tiers: fraction of windows at each width but the last two", 0, 1),
      float_param("budget_bits", 3.0, "average bits per visual K/V element", 0.5, 16),
      choice_param("budget_kind", "effective", {"effective", "nominal"},
                   "effective: scales, zero-points, residual and permutation included (protocol.md)"),
      bool_param("reorder", true, "store windows of one width contiguously (off: widths stay interleaved)"),
      int_param("residual", 32, "last context tokens kept in full precision", 0, 1 << 20),
      int_param("key_group_size", 32, "tokens per key group (keys per-channel)", 1, 1 << 20),
      int_param("value_group_size", 32, "channels per value group (values per-token)", 1, 1 << 20)},
     [](const Params& p) { return std::make_unique<WindowQuantMethod>(p); }}};

}  // namespace
}  // namespace wq::windowquant
