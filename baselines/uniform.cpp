// uniform: every visual token at one bit-width (the INT8/INT4/INT2 rows of the tables).
// Keys and values each per-token or per-channel with their own group size; context text and
// the last `residual` context tokens stay full precision (protocol.md step 5).
#include "core/method/kv_method.h"
#include "core/method/method_common.h"

namespace wq::methods {
namespace {

class UniformMethod final : public KvMethod {
 public:
  explicit UniformMethod(const Params& p)
      : key_(make_spec(bits_param(p, "bits"), static_cast<int>(p.get_int("key_group_size")), axis_param(p, "key_axis"))),
        value_(make_spec(bits_param(p, "bits"), static_cast<int>(p.get_int("value_group_size")),
                         axis_param(p, "value_axis"))),
        residual_(static_cast<int>(p.get_int("residual"))) {}

  cache::Plan plan(const cache::FullKv&, const ContextDescription& ctx) override {
    cache::LayerPlan layer;
    // One segment per run of visual tokens: per-channel key groups never straddle a text token.
    for (const TokenRun& run : visual_runs(ctx, residual_))
      layer.pieces.push_back({run.begin, run.end, {key_, {}}, {value_, {}}});
    return cache::Plan{{layer}};
  }

 private:
  QuantSpec key_, value_;
  int residual_;
};

const Registration<KvMethod> reg{
    {"uniform",
     "every visual token at one width; per-token or per-channel groups",
     {float_param("bits", 4, "bit-width of every visual K/V element (1, 2, 3, 4, 8, 16)", 1, 16),
      choice_param("key_axis", "channel", {"channel", "token"}, "key groups: per-channel (along tokens) or per-token"),
      choice_param("value_axis", "token", {"channel", "token"}, "value groups: per-channel or per-token"),
      int_param("key_group_size", 32, "elements per key group", 1, 1 << 20),
      int_param("value_group_size", 32, "elements per value group", 1, 1 << 20),
      int_param("residual", 0, "last context tokens kept in full precision", 0, 1 << 20)},
     [](const Params& p) { return std::make_unique<UniformMethod>(p); }}};

}  // namespace
}  // namespace wq::methods
