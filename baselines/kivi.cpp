// kivi: KIVI (Liu et al., ICML 2024, "KIVI: A Tuning-Free Asymmetric 2bit Quantization for KV
// Cache"; code github.com/jy-yuan/KIVI, checked at 876b4d2 by tests/methods/kivi_oracle_test).
// Keys per-channel (groups of G consecutive tokens of one channel), values per-token (groups of
// G consecutive channels), asymmetric min/max in fp16 arithmetic, one G for both, and the
// authors' prefill residual rule (models/llama_kivi.py): of n prefill tokens the last n mod R
// keys and the last min(n, R) values stay fp16; and, with decode_residual, their decode rule
// on the tokens appended after the context (cache::TailRule).
#include <stdexcept>

#include "core/method/kv_method.h"
#include "core/method/method_common.h"

namespace wq::methods {
namespace {

class KiviMethod final : public KvMethod {
 public:
  explicit KiviMethod(const Params& p)
      : bits_(bits_param(p, "bits")),
        group_(static_cast<int>(p.get_int("group_size"))),
        residual_(static_cast<int>(p.get_int("residual"))),
        quantize_text_(p.get_bool("quantize_text")),
        fp16_arithmetic_(p.get_string("arithmetic") == "fp16"),
        decode_residual_(p.get_bool("decode_residual")) {
    if (bits_ != QuantBits::b2 && bits_ != QuantBits::b4) p.fail("bits", "KIVI's kernels support 2 and 4 bits");
    if (residual_ % group_ != 0) p.fail("residual", "must be a multiple of group_size (their assert R % G == 0)");
  }

  cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) override {
    if (kv.head_dim % group_ != 0)
      throw std::invalid_argument("kivi: group_size " + std::to_string(group_) + " must divide head_dim " +
                                  std::to_string(kv.head_dim) + " (values are grouped per token)");
    QuantSpec key = make_spec(bits_, group_, quant::GroupAxis::tokens);
    QuantSpec value = make_spec(bits_, group_, quant::GroupAxis::channels);
    if (fp16_arithmetic_) key.compute = value.compute = quant::ComputeMode::fp16;
    // KIVI sees one sequence; the protocol keeps context text in full precision unless
    // quantize_text, so the rule runs on each visual run (the last one ends the context).
    std::vector<TokenRun> runs = quantize_text_ ? std::vector<TokenRun>{{0, ctx.context_tokens}} : visual_runs(ctx, 0);
    cache::LayerPlan layer;
    for (const TokenRun& run : runs) add_run(layer, run, run.end == ctx.context_tokens, key, value);
    cache::Plan plan{{layer}, {}};
    if (decode_residual_) plan.tail = {residual_, key, value};
    return plan;
  }

 private:
  void add_run(cache::LayerPlan& layer, const TokenRun& run, bool is_last, const QuantSpec& key,
               const QuantSpec& value) const {
    const int n = run.size();
    // llama_kivi.py: keys [0, n - n % R) quantized, values [0, n - R) quantized (none if n <= R).
    // A run that does not end the context has no residual: all of it is quantized.
    const int keys_q = is_last ? n - n % residual_ : n;
    const int values_q = is_last ? std::max(0, n - residual_) : n;
    // One plan piece shares its token range between K and V, and a key group must stay in one
    // segment. So the value boundary is rounded DOWN to a key group: up to G - 1 extra values
    // stay fp16 (never fewer than KIVI keeps). docs/methods.md lists this.
    const int values_aligned = is_last ? values_q / group_ * group_ : values_q;
    if (values_aligned > 0) layer.pieces.push_back({run.begin, run.begin + values_aligned, {key, {}}, {value, {}}});
    if (keys_q > values_aligned)
      layer.pieces.push_back({run.begin + values_aligned, run.begin + keys_q, {key, {}}, {quant::fp16_spec(), {}}});
  }

  QuantBits bits_;
  int group_;
  int residual_;
  bool quantize_text_;
  bool fp16_arithmetic_;
  bool decode_residual_;
};

const Registration<KvMethod> reg{
    {"kivi",
     "KIVI: keys per-channel, values per-token, asymmetric, fp16 residual (jy-yuan/KIVI)",
     {float_param("bits", 2, "2 or 4 (their kernels)", 2, 4),
      int_param("group_size", 32, "G: tokens per key group and channels per value group", 1, 4096),
      int_param("residual", 32, "R: residual length (multiple of G); their CLI default is 128", 1, 1 << 20),
      bool_param("quantize_text", false, "quantize context text tokens too (KIVI's own behaviour)"),
      choice_param("arithmetic", "fp16", {"fp16", "fp32"},
                   "fp16: reproduce their torch half arithmetic bit for bit; fp32: our rounding"),
      bool_param("decode_residual", true,
                 "their decode rule on the tokens after the context (query, generated): every R keys "
                 "quantized as a block, values once R newer tokens follow; false: those stay fp16")},
     [](const Params& p) { return std::make_unique<KiviMethod>(p); }}};

}  // namespace
}  // namespace wq::methods
