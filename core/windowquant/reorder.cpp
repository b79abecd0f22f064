// Window reordering and tier segments (see reorder.h).
#include "core/windowquant/reorder.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "core/quant/quant_format.h"

namespace wq::windowquant {
namespace {

using quant::QuantBits;

cache::PlanPiece tier_piece(int begin, int end, QuantBits bits, const LayoutOptions& o) {
  return {begin, end,
          {quant::uniform_spec(bits, o.key_group_size, quant::GroupAxis::tokens), {}},
          {quant::uniform_spec(bits, o.value_group_size, quant::GroupAxis::channels), {}}};
}

double width_of(QuantBits bits) { return quant::format_info(bits).nominal_bits; }

}  // namespace

cache::LayerPlan window_layer_plan(const std::vector<Window>& windows, const std::vector<QuantBits>& widths,
                                   int context_tokens, const LayoutOptions& options) {
  if (widths.size() != windows.size()) throw std::invalid_argument("windowquant: one width per window needed");
  cache::LayerPlan plan;
  if (!options.reorder) {
    // Original order: merge touching runs of equal width into one segment.
    for (size_t w = 0; w < windows.size(); ++w) {
      if (widths[w] == QuantBits::b16) continue;
      for (int p : windows[w].positions) {
        auto& pieces = plan.pieces;
        if (!pieces.empty() && pieces.back().end == p && pieces.back().key.spec.bits == widths[w]) {
          ++pieces.back().end;
        } else {
          pieces.push_back(tier_piece(p, p + 1, widths[w], options));
        }
      }
    }
    return plan;
  }
  // Stable sort of windows by descending width: original order inside a tier.
  std::vector<size_t> by_tier(windows.size());
  std::iota(by_tier.begin(), by_tier.end(), size_t{0});
  std::stable_sort(by_tier.begin(), by_tier.end(), [&](size_t a, size_t b) { return width_of(widths[a]) > width_of(widths[b]); });
  std::vector<uint8_t> placed(static_cast<size_t>(context_tokens), 0);
  for (size_t w : by_tier) {
    const int begin = static_cast<int>(plan.order.size());
    for (int p : windows[w].positions) {
      plan.order.push_back(p);
      placed[static_cast<size_t>(p)] = 1;
    }
    const int end = static_cast<int>(plan.order.size());
    if (widths[w] == QuantBits::b16 || begin == end) continue;
    if (!plan.pieces.empty() && plan.pieces.back().end == begin && plan.pieces.back().key.spec.bits == widths[w]) {
      plan.pieces.back().end = end;  // same tier: one segment
    } else {
      plan.pieces.push_back(tier_piece(begin, end, widths[w], options));
    }
  }
  for (int p = 0; p < context_tokens; ++p)
    if (!placed[static_cast<size_t>(p)]) plan.order.push_back(p);
  plan.side_bits_per_head = 32.0 * static_cast<double>(windows.size());
  return plan;
}

}  // namespace wq::windowquant
