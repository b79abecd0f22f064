// akvq_vl: AKVQ-VL (arXiv 2501.15021), 2-bit KV with attention-aware precision. Our reading
// (no public code; docs/methods.md): everything is quantized at `bits` after an orthonormal
// Walsh-Hadamard rotation along channels (it spreads channel outliers, so keys can be grouped
// per token like values). Tokens that draw attention keep `high_bits`:
//  - Text-Salient Attention, early layers (< early_layers): text tokens draw the attention.
//    Context text already stays full precision under our protocol, so these layers keep the
//    `salient_tokens` visual tokens the query's probe attends to most (text-relevant vision).
//  - Pivot-Token-Salient Attention, later layers: a few pivot tokens (attention sinks among
//    them) draw most attention: the `salient_tokens` tokens of largest probe attention mass
//    over the whole context, whatever their kind.
// Per-token groups let salient tokens be cut out of the segments without reordering.
#include <algorithm>

#include "core/method/kv_method.h"
#include "core/method/method_common.h"
#include "core/windowquant/allocation.h"

namespace wq::methods {
namespace {

class AkvqVlMethod final : public KvMethod {
 public:
  explicit AkvqVlMethod(const Params& p)
      : bits_(bits_param(p, "bits")),
        high_bits_(bits_param(p, "high_bits")),
        group_(static_cast<int>(p.get_int("group_size"))),
        early_layers_(static_cast<int>(p.get_int("early_layers"))),
        salient_(static_cast<int>(p.get_int("salient_tokens"))),
        residual_(static_cast<int>(p.get_int("residual"))),
        hadamard_(p.get_bool("hadamard")) {}

  cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) override {
    const std::vector<uint8_t> visual = ctx.visual_mask();
    cache::Plan plan;
    for (int layer = 0; layer < kv.layers; ++layer) {
      const std::vector<double> mass = probe_attention_mass(kv, ctx, layer);
      std::vector<double> scores(mass);
      // Early layers rank visual tokens only; later layers every context token (pivots).
      if (layer < early_layers_)
        for (size_t t = 0; t < scores.size(); ++t)
          if (!visual[t]) scores[t] = -1.0;
      std::vector<uint8_t> keep(scores.size(), 0);
      const std::vector<int> ranked = windowquant::rank_units(scores);
      for (int i = 0; i < std::min<int>(salient_, static_cast<int>(ranked.size())); ++i)
        if (scores[static_cast<size_t>(ranked[static_cast<size_t>(i)])] >= 0) keep[static_cast<size_t>(ranked[static_cast<size_t>(i)])] = 1;
      plan.layers.push_back(layer_plan(ctx, keep));
    }
    return plan;
  }

 private:
  cache::LayerPlan layer_plan(const ContextDescription& ctx, const std::vector<uint8_t>& keep) const {
    QuantSpec low = make_spec(bits_, group_, quant::GroupAxis::channels);
    QuantSpec high = make_spec(high_bits_, group_, quant::GroupAxis::channels);
    if (hadamard_) low.transform = quant::Transform::hadamard;
    if (hadamard_ && high_bits_ != QuantBits::b16) high.transform = quant::Transform::hadamard;
    cache::LayerPlan lp;
    auto add = [&](int t, const QuantSpec& spec) {
      if (!lp.pieces.empty() && lp.pieces.back().end == t && lp.pieces.back().key.spec.bits == spec.bits) {
        ++lp.pieces.back().end;
      } else {
        lp.pieces.push_back({t, t + 1, {spec, {}}, {spec, {}}});
      }
    };
    for (const TokenRun& run : visual_runs(ctx, residual_))
      for (int t = run.begin; t < run.end; ++t) {
        if (!keep[static_cast<size_t>(t)]) add(t, low);
        else if (high_bits_ != QuantBits::b16) add(t, high);  // fp16 salient tokens: left uncovered
      }
    lp.side_bits_per_head = 0;  // widths follow from positions listed in the segments' ranges
    return lp;
  }

  QuantBits bits_;
  QuantBits high_bits_;
  int group_;
  int early_layers_;
  int salient_;
  int residual_;
  bool hadamard_;
};

const Registration<KvMethod> reg{
    {"akvq_vl",
     "AKVQ-VL: Hadamard + 2-bit, text-salient (early) / pivot-token-salient (late) tokens kept wider",
     {float_param("bits", 2, "width of ordinary tokens", 1, 8),
      float_param("high_bits", 16, "width of salient / pivot tokens", 2, 16),
      int_param("group_size", 32, "channels per group (K and V per-token after the rotation)", 1, 4096),
      int_param("early_layers", 2, "layers using text-salient selection; later layers use pivot tokens", 0, 1 << 10),
      int_param("salient_tokens", 8, "tokens per layer kept at high_bits", 0, 1 << 20),
      int_param("residual", 32, "last context tokens kept in full precision", 0, 1 << 20),
      bool_param("hadamard", true, "rotate channels with an orthonormal Walsh-Hadamard transform first")},
     [](const Params& p) { return std::make_unique<AkvqVlMethod>(p); }}};

}  // namespace
}  // namespace wq::methods
