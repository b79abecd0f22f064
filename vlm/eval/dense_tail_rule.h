// Simulate mode's side of a cache::TailRule (KIVI's decode-time residual): the tail of the
// model's dense cache (the tokens after the compressed context) quantized and dequantized in
// place, the same chunks at the same step as packed mode moves them (core/cache/tail_rule.h).
#pragma once

#include <cstdint>

#include "core/cache/plan.h"
#include "vlm/models/qwen2.h"

namespace wq::eval {

class DenseTailRule {
 public:
  // context_tokens: the compressed context's length; the tail is every token after it.
  DenseTailRule(const cache::TailRule& rule, std::int64_t context_tokens)
      : rule_(rule), context_tokens_(context_tokens) {}

  // After a forward appended to `cache` (every layer [1, kv_heads, T, D], any device/dtype).
  void apply(models::KVLayers& cache);

 private:
  cache::TailRule rule_;
  std::int64_t context_tokens_;
  int tail_ = 0;  // tail tokens the rule has seen
};

}  // namespace wq::eval
