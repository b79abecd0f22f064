#include "vlm/eval/dense_tail_rule.h"

#include <torch/torch.h>

#include "core/cache/tail_rule.h"

namespace wq::eval {

void DenseTailRule::apply(models::KVLayers& cache) {
  if (rule_.residual <= 0 || cache.empty()) return;
  const int tail = static_cast<int>(cache[0].keys.size(2) - context_tokens_);
  const cache::TailSplit from = cache::tail_split(rule_, tail_), to = cache::tail_split(rule_, tail);
  const int before = tail_;
  tail_ = tail;
  if (from.keys == to.keys && from.values == to.values) return;
  for (models::LayerKV& layer : cache) {
    const int64_t heads = layer.keys.size(1), dim = layer.keys.size(3);
    at::Tensor k = layer.keys[0].slice(1, context_tokens_).to(at::kCPU, at::kFloat).contiguous();
    at::Tensor v = layer.values[0].slice(1, context_tokens_).to(at::kCPU, at::kFloat).contiguous();
    for (int64_t h = 0; h < heads; ++h)
      cache::simulate_tail_growth(rule_, k[h].data_ptr<float>(), v[h].data_ptr<float>(), before, tail,
                                  static_cast<int>(dim));
    layer.keys[0].slice(1, context_tokens_).copy_(k);
    layer.values[0].slice(1, context_tokens_).copy_(v);
  }
}

}  // namespace wq::eval
