#include "core/cache/tail_rule.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace wq::cache {

int tail_chunk_tokens(const TailRule& rule) { return rule.residual > 0 ? rule.key.group_size : 0; }

TailSplit tail_split(const TailRule& rule, int tail_tokens) {
  if (rule.residual <= 0) return {};
  const int R = rule.residual, G = rule.key.group_size;
  // keys: whole R-blocks; values: whole chunks with R newer tokens after them (always inside
  // the quantized keys, since n − R < R·floor(n / R)).
  return {tail_tokens / R * R, std::max(0, tail_tokens - R) / G * G};
}

void validate(const TailRule& rule, int head_dim) {
  if (rule.residual == 0) return;
  auto fail = [](const std::string& why) { throw std::invalid_argument("tail rule: " + why); };
  const int G = rule.key.group_size;
  if (rule.residual < 0 || G <= 0 || rule.residual % G != 0)
    fail("residual " + std::to_string(rule.residual) + " must be a positive multiple of the key group size " +
         std::to_string(G));
  if (rule.key.axis != quant::GroupAxis::tokens || rule.value.axis != quant::GroupAxis::channels)
    fail("keys must be grouped per channel and values per token");
  if (rule.key.bits == quant::QuantBits::b16 || rule.value.bits == quant::QuantBits::b16)
    fail("both tensors must be quantized");
  if (rule.key.transform != quant::Transform::none || rule.value.transform != quant::Transform::none)
    fail("no channel transform");
  if (head_dim % rule.value.group_size != 0)
    fail("value group " + std::to_string(rule.value.group_size) + " must divide head_dim " + std::to_string(head_dim));
}

Segment tail_chunk(const TailRule& rule, const float* k, const float* v, int n, int head_dim, CacheMode mode) {
  Segment chunk;
  chunk.kind = SegmentKind::quantized;
  chunk.end = n;
  chunk.key = make_quantized_tensor(k, n, head_dim, TensorPlan{rule.key, {}}, mode);
  chunk.value = make_quantized_tensor(v, n, head_dim, TensorPlan{quant::fp16_spec(), {}}, mode);
  return chunk;
}

void quantize_chunk_values(const TailRule& rule, Segment& chunk, int head_dim, CacheMode mode) {
  std::vector<float> fp16_values(static_cast<size_t>(chunk.size()) * head_dim);
  read_tensor(chunk, chunk.value, head_dim, fp16_values.data());
  chunk.value = make_quantized_tensor(fp16_values.data(), chunk.size(), head_dim, TensorPlan{rule.value, {}}, mode);
}

void simulate_tail_growth(const TailRule& rule, float* k, float* v, int before, int after, int head_dim) {
  const TailSplit from = tail_split(rule, before), to = tail_split(rule, after);
  const int G = tail_chunk_tokens(rule);
  const auto row = [head_dim](float* x, int t) { return x + static_cast<size_t>(t) * head_dim; };
  for (int t = from.keys; t < to.keys; t += G) {  // keys quantized, values to fp16
    const Segment chunk = tail_chunk(rule, row(k, t), row(v, t), G, head_dim, CacheMode::simulate);
    std::copy(chunk.key.values.begin(), chunk.key.values.end(), row(k, t));
    std::copy(chunk.value.values.begin(), chunk.value.values.end(), row(v, t));
  }
  for (int t = from.values; t < to.values; t += G) {  // values quantized from their fp16
    Segment chunk;
    chunk.end = G;
    chunk.value.values.assign(row(v, t), row(v, t + G));
    quantize_chunk_values(rule, chunk, head_dim, CacheMode::simulate);
    std::copy(chunk.value.values.begin(), chunk.value.values.end(), row(v, t));
  }
}

}  // namespace wq::cache
