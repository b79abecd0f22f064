// Simulate mode's tail rule on the model's dense cache (vlm/eval/dense_tail_rule.h): after
// each forward the tail rows (and only they) become what core/cache's simulate_tail_growth
// makes of them, in every layer and head, step by step.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/cache/tail_rule.h"
#include "vlm/eval/dense_tail_rule.h"

namespace wq::eval {
namespace {

TEST(DenseTailRule, QuantizesTheTailRowsTheRuleMovesAndNothingElse) {
  const int64_t layers = 2, heads = 2, context = 10, dim = 32;
  const cache::TailRule rule{16, quant::uniform_spec(quant::QuantBits::b2, 8, quant::GroupAxis::tokens),
                             quant::uniform_spec(quant::QuantBits::b2, 16, quant::GroupAxis::channels)};
  torch::manual_seed(3);
  models::KVLayers dense(layers);
  for (auto& layer : dense)
    layer = {torch::randn({1, heads, context, dim}), torch::randn({1, heads, context, dim})};
  const models::KVLayers context_copy = {{dense[0].keys.clone(), dense[0].values.clone()},
                                         {dense[1].keys.clone(), dense[1].values.clone()}};
  std::vector<at::Tensor> raw_k(layers), raw_v(layers);  // every appended row, as appended
  DenseTailRule rule_on_dense(rule, context);
  int tail = 0;
  for (int n : {5, 1, 1, 20, 1, 30}) {
    for (int64_t l = 0; l < layers; ++l) {
      const at::Tensor k = torch::randn({1, heads, n, dim}), v = torch::randn({1, heads, n, dim});
      raw_k[l] = raw_k[l].defined() ? torch::cat({raw_k[l], k}, 2) : k;
      raw_v[l] = raw_v[l].defined() ? torch::cat({raw_v[l], v}, 2) : v;
      dense[l] = {torch::cat({dense[l].keys, k}, 2), torch::cat({dense[l].values, v}, 2)};
    }
    rule_on_dense.apply(dense);
    tail += n;
    for (int64_t l = 0; l < layers; ++l) {
      EXPECT_TRUE(dense[l].keys.slice(2, 0, context).equal(context_copy[l].keys));
      EXPECT_TRUE(dense[l].values.slice(2, 0, context).equal(context_copy[l].values));
      for (int64_t h = 0; h < heads; ++h) {
        // The rule applied once to the whole tail: growth is stepwise, but each step only
        // moves rows no earlier step touched, so the result is the same.
        at::Tensor k = raw_k[l][0][h].clone(), v = raw_v[l][0][h].clone();
        cache::simulate_tail_growth(rule, k.data_ptr<float>(), v.data_ptr<float>(), 0, tail, static_cast<int>(dim));
        EXPECT_TRUE(dense[l].keys[0][h].slice(0, context).equal(k)) << "layer " << l << " head " << h << " tail " << tail;
        EXPECT_TRUE(dense[l].values[0][h].slice(0, context).equal(v)) << "layer " << l << " head " << h << " tail " << tail;
      }
    }
  }
  const cache::TailSplit split = cache::tail_split(rule, tail);
  EXPECT_EQ(split.keys, 48);  // something moved: 58 tail tokens, R = 16
  EXPECT_FALSE(dense[0].keys[0][0].slice(0, context, context + split.keys).equal(raw_k[0][0][0].slice(0, 0, split.keys)));
}

}  // namespace
}  // namespace wq::eval
