// vidkv: VidKV (Tao et al., arXiv 2503.16257, "Plug-and-Play 1.x-Bit KV Cache Quantization for
// Video Large Language Models"; code github.com/KD-TAO/VidKV at 0e55c39, checked by
// tests/methods/vidkv_oracle_test against their cache_utils.py / vidkv_quant.py).
// Keys "1.5-bit": the widest-range half of the channels (one set per layer) at 2 bits
// per-channel; the others FFT along channels, then 1 bit (sign, scale mean|x|, x̂ ∈ {0, s}).
// Values "1.58-bit": ternary per-channel; salient tokens (embedding similarity to the query)
// at `salient_bits`. Groups of G = 32 tokens throughout.
// variant code: their code's behaviour, defects included (ternary dequantized WITHOUT its scale,
// threshold 0.5·mean|x|, the salient-count quirk, the last n mod G tokens left fp16).
// variant paper: the scale applied, γ and the scale rule knobs, plain top-p salient tokens.
#include "baselines/vidkv.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/method/kv_method.h"
#include "core/method/method_common.h"
#include "core/quant/half.h"

namespace wq::methods {
namespace vidkv {

using quant::round_to_half;

std::vector<int> difficult_channels(const cache::FullKv& kv, int layer, const std::vector<int>& tokens, double ratio,
                                    bool fp16_ranges) {
  const int d = kv.head_dim;
  std::vector<float> lo(static_cast<size_t>(d), INFINITY), hi(static_cast<size_t>(d), -INFINITY);
  for (int h = 0; h < kv.kv_heads; ++h) {
    const float* k = kv.k_head(layer, h);
    for (int t : tokens)
      for (int c = 0; c < d; ++c) {
        const float x = k[static_cast<size_t>(t) * d + c];
        lo[static_cast<size_t>(c)] = std::min(lo[static_cast<size_t>(c)], x);
        hi[static_cast<size_t>(c)] = std::max(hi[static_cast<size_t>(c)], x);
      }
  }
  std::vector<float> range(static_cast<size_t>(d));
  for (int c = 0; c < d; ++c) {
    const float r = hi[static_cast<size_t>(c)] - lo[static_cast<size_t>(c)];
    range[static_cast<size_t>(c)] = fp16_ranges ? round_to_half(r) : r;
  }
  int k = static_cast<int>(d * ratio);
  if (ratio > 0 && k == 0) k = 32;  // their fallback, kept as is
  k = std::min(k, d);
  std::vector<int> idx(static_cast<size_t>(d));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return range[static_cast<size_t>(a)] > range[static_cast<size_t>(b)]; });
  idx.resize(static_cast<size_t>(k));
  std::sort(idx.begin(), idx.end());
  return idx;
}

std::vector<float> salient_scores(const ContextDescription& ctx, bool fp16) {
  const int n = ctx.num_visual(), q = ctx.num_query(), hd = ctx.hidden;
  auto in = [&](float x) { return fp16 ? round_to_half(x) : x; };
  std::vector<float> scores(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    float sum = 0.0f;  // torch's mean accumulates the fp16 products in fp32
    for (int j = 0; j < q; ++j) {
      float dot = 0.0f;
      for (int c = 0; c < hd; ++c)
        dot += in(ctx.visual_embeddings[static_cast<size_t>(i) * hd + c]) * in(ctx.query_embeddings[static_cast<size_t>(j) * hd + c]);
      sum += in(dot);
    }
    scores[static_cast<size_t>(i)] = in(sum / static_cast<float>(std::max(1, q)));
  }
  return scores;
}

std::vector<int> salient_tokens(const std::vector<float>& scores, const ContextDescription& ctx, double ratio,
                                bool code_rule) {
  const int n = static_cast<int>(scores.size());
  std::vector<int> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)]; });
  // code: int(N * p // 32 * 32) on Python floats, at least 32, then the 32 LATEST dropped.
  const int k = code_rule ? std::max(32, static_cast<int>(std::floor(n * ratio / 32.0) * 32.0))
                          : static_cast<int>(std::floor(n * ratio));
  idx.resize(static_cast<size_t>(std::min(k, n)));
  std::sort(idx.begin(), idx.end());
  if (code_rule) idx.resize(idx.size() > 32 ? idx.size() - 32 : 0);
  std::vector<int> positions;
  for (int i : idx) positions.push_back(ctx.visual_positions[static_cast<size_t>(i)]);
  return positions;
}

}  // namespace vidkv

namespace {

class VidkvMethod final : public KvMethod {
 public:
  explicit VidkvMethod(const Params& p)
      : code_(p.get_string("variant") == "code"),
        key_ratio_(p.get_float("key_bits") - 1.0),
        group_(static_cast<int>(p.get_int("group_size"))),
        residual_(static_cast<int>(p.get_int("residual"))),
        salient_ratio_(p.get_float("salient_ratio")),
        salient_bits_(p.get_string("variant") == "code" ? QuantBits::b2 : bits_param(p, "salient_bits")),
        quantize_text_(p.get_bool("quantize_text")) {
    ternary_.gamma = code_ ? 0.5f : static_cast<float>(p.get_float("gamma"));
    const std::string rule = p.get_string("ternary_scale");
    ternary_.scale_rule = code_ ? quant::TernaryScaleRule::unit
                          : rule == "mean_abs" ? quant::TernaryScaleRule::mean_abs
                          : rule == "max_abs"  ? quant::TernaryScaleRule::max_abs
                                               : quant::TernaryScaleRule::mean_abs_nonzero;
  }

  cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) override {
    std::vector<int> tokens;  // what is quantized, ascending original positions
    if (quantize_text_) {
      for (int t = 0; t < std::max(0, ctx.context_tokens - residual_); ++t) tokens.push_back(t);
    } else {
      tokens = quantizable_visual(ctx, residual_);
    }
    // Their prefill quantizes n - n % G tokens and leaves the last n % G in fp16.
    if (code_) tokens.resize(tokens.size() - tokens.size() % static_cast<size_t>(group_));
    std::vector<int> salient;
    if (salient_ratio_ > 0 && !tokens.empty()) {
      if (!ctx.has_embeddings()) throw std::invalid_argument("vidkv: salient_ratio > 0 needs input embeddings");
      for (int p : vidkv::salient_tokens(vidkv::salient_scores(ctx, code_), ctx, salient_ratio_, code_))
        if (std::binary_search(tokens.begin(), tokens.end(), p)) salient.push_back(p);
    }
    const std::vector<int32_t> order = stored_order(tokens, salient, ctx.context_tokens);
    const int ns = static_cast<int>(salient.size()), nq = static_cast<int>(tokens.size());
    QuantSpec rest_value = make_spec(QuantBits::b1_58, group_, quant::GroupAxis::tokens);
    rest_value.ternary = ternary_;
    QuantSpec salient_value = make_spec(salient_bits_, group_, quant::GroupAxis::tokens);
    if (code_) salient_value.compute = quant::ComputeMode::fp16;

    cache::Plan plan;
    for (int layer = 0; layer < kv.layers; ++layer) {
      cache::LayerPlan lp;
      lp.order = order;  // quantized tokens first (salient ones leading), the rest after
      lp.side_bits_per_head = 32.0 * ns;  // a position index per salient token
      const cache::TensorPlan key = key_plan(kv, layer, tokens);
      if (ns > 0) lp.pieces.push_back({0, ns, key, {salient_value, {}}});
      if (nq > ns) lp.pieces.push_back({ns, nq, key, {rest_value, {}}});
      plan.layers.push_back(std::move(lp));
    }
    return plan;
  }

 private:
  // Salient tokens first, then the other quantized tokens, then the full-precision ones: the
  // value groups then run over salient and non-salient tokens separately, as in their code.
  static std::vector<int32_t> stored_order(const std::vector<int>& tokens, const std::vector<int>& salient, int total) {
    std::vector<int32_t> order(salient.begin(), salient.end());
    std::vector<uint8_t> used(static_cast<size_t>(total), 0);
    for (int p : salient) used[static_cast<size_t>(p)] = 1;
    for (int p : tokens)
      if (!used[static_cast<size_t>(p)]) order.push_back(p), used[static_cast<size_t>(p)] = 1;
    for (int p = 0; p < total; ++p)
      if (!used[static_cast<size_t>(p)]) order.push_back(p);
    return order;
  }

  cache::TensorPlan key_plan(const cache::FullKv& kv, int layer, const std::vector<int>& tokens) const {
    const std::vector<int> hard = vidkv::difficult_channels(kv, layer, tokens, key_ratio_, true);
    std::vector<int> easy;
    for (int c = 0; c < kv.head_dim; ++c)
      if (!std::binary_search(hard.begin(), hard.end(), c)) easy.push_back(c);
    QuantSpec hard_spec = make_spec(QuantBits::b2, group_, quant::GroupAxis::tokens);
    if (code_) hard_spec.compute = quant::ComputeMode::fp16;  // their Triton path, like KIVI's
    QuantSpec easy_spec = make_spec(QuantBits::b1, group_, quant::GroupAxis::tokens);
    easy_spec.one_bit_rule = quant::OneBitRule::sign_meanabs;
    easy_spec.transform = quant::Transform::fft_channels;
    cache::TensorPlan plan;
    if (!hard.empty()) plan.parts.push_back({hard, hard_spec});
    if (!easy.empty()) plan.parts.push_back({easy, easy_spec});
    if (plan.parts.size() == 1) plan = cache::TensorPlan{plan.parts[0].spec, {}};
    return plan;
  }

  bool code_;
  double key_ratio_;
  int group_;
  int residual_;
  double salient_ratio_;
  QuantBits salient_bits_;
  bool quantize_text_;
  quant::TernaryParams ternary_;
};

const Registration<KvMethod> reg{
    {"vidkv",
     "VidKV: keys 2-bit outlier channels + FFT 1-bit, values ternary, salient tokens (KD-TAO/VidKV)",
     {choice_param("variant", "paper", {"paper", "code"}, "code: bit-exact with their commit 0e55c39, defects included"),
      float_param("key_bits", 1.5, "1 + fraction of key channels kept at 2 bits", 1.0, 2.0),
      int_param("group_size", 32, "tokens per group", 1, 4096),
      int_param("residual", 0, "last context tokens kept in full precision", 0, 1 << 20),
      float_param("salient_ratio", 0.2, "fraction of visual tokens whose values get salient_bits (0: none)", 0.0, 1.0),
      float_param("salient_bits", 2, "width of salient values (code: 2)", 2, 16),
      float_param("gamma", 0.7, "ternary dead zone, x 0 when |x| <= gamma·mean|x| (paper 0.7; code fixes 0.5)", 0.0, 2.0),
      choice_param("ternary_scale", "mean_abs", {"mean_abs", "mean_abs_nonzero", "max_abs"},
                   "paper variant: scale of the ternary levels (their code computes mean_abs, then ignores it)"),
      bool_param("quantize_text", false, "quantize context text tokens too (their code quantizes everything)")},
     [](const Params& p) { return std::make_unique<VidkvMethod>(p); }}};

}  // namespace
}  // namespace wq::methods
