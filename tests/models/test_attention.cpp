// causal_attention / full_attention (fused SDPA on LibTorch >= 2.5) against their math
// reference, on odd shapes: no past, a single query after a past (decode), several queries
// after a past (the query prefill: SDPA's top-left is_causal would be wrong there), the
// 1024-query chunk boundary, grouped and ungrouped heads. On LibTorch 1.13 both sides are the
// math path and the test checks the dispatch only. Runs on WQ_GOLDEN_DEVICE / DTYPE.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_mode.h"
#include "vlm/models/attention.h"

using namespace wq::models;

namespace {

struct Case {
  std::int64_t batch, q_heads, kv_heads, past, queries, head_dim;
};

double bound() { return wq::testing::golden_reduced_precision() ? 5e-2 : 1e-5; }

at::Tensor draw(std::vector<std::int64_t> shape) {
  const auto o = wq::testing::golden_load_options();
  return torch::randn(shape).to(torch::Device(o.device), o.dtype);
}

}  // namespace

TEST(Attention, CausalMatchesReference) {
  torch::manual_seed(3);
  for (const Case& c : {Case{2, 4, 2, 0, 19, 16}, Case{1, 4, 2, 0, 1, 16}, Case{2, 4, 2, 37, 1, 16},
                        Case{1, 6, 2, 11, 7, 32}, Case{1, 4, 4, 5, 3, 16}, Case{1, 2, 1, 3, 1030, 8}}) {
    const at::Tensor q = draw({c.batch, c.q_heads, c.queries, c.head_dim});
    const at::Tensor k = draw({c.batch, c.kv_heads, c.past + c.queries, c.head_dim});
    const at::Tensor v = draw({c.batch, c.kv_heads, c.past + c.queries, c.head_dim});
    const at::Tensor out = causal_attention(q, k, v, c.past);
    const at::Tensor ref = causal_attention_reference(q, k, v, c.past);
    ASSERT_EQ(out.sizes(), ref.sizes());
    const double diff = (out.to(at::kFloat) - ref.to(at::kFloat)).abs().max().item<double>();
    EXPECT_LE(diff, bound()) << attention_backend() << " past " << c.past << " queries " << c.queries
                             << " heads " << c.q_heads << "/" << c.kv_heads;
  }
}

TEST(Attention, LseTakesTheReferencePath) {
  torch::manual_seed(4);
  const at::Tensor q = draw({1, 4, 5, 16}), k = draw({1, 2, 5, 16}), v = draw({1, 2, 5, 16});
  at::Tensor lse, ref_lse;
  const at::Tensor out = causal_attention(q, k, v, 0, &lse);
  const at::Tensor ref = causal_attention_reference(q, k, v, 0, &ref_lse);
  EXPECT_TRUE(out.equal(ref));
  EXPECT_TRUE(lse.equal(ref_lse));
  EXPECT_EQ(lse.sizes(), at::IntArrayRef({1, 4, 5}));
}

TEST(Attention, FullMatchesReference) {
  torch::manual_seed(5);
  const at::Tensor q = draw({3, 2, 29, 72}), k = draw({3, 2, 29, 72}), v = draw({3, 2, 29, 72});
  const double diff = (full_attention(q, k, v).to(at::kFloat) - full_attention_reference(q, k, v).to(at::kFloat))
                          .abs().max().item<double>();
  EXPECT_LE(diff, bound()) << attention_backend();
}
