// Reference attention over a segment table on the CPU: dequantize every segment (scalar
// readers), then exact softmax attention in double. The twin every fast kernel is checked with.
#pragma once

#include <vector>

#include "kernels/kv_view.h"

namespace wq::kernels::cpu {

// q:   [batch][q_tokens][q_heads][head_dim] fp32 (the values the query dtype holds)
// table: [batch][num_segments] views over HOST memory
// out: [batch][q_tokens][q_heads][head_dim] fp32; lse (optional): [batch][q_tokens][q_heads]
// natural log of the softmax denominator. Every query token sees every stored token.
void reference_attention(const attention_shape& shape, const float* q, const segment_view* table,
                         float* out, float* lse = nullptr);

// Dequantized K, V of one sequence and KV head, stored order: [tokens][head_dim] each.
void dequantize_sequence(const segment_view* segments, int num_segments, int head_dim, int kv_head,
                         std::vector<float>& k, std::vector<float>& v);

}  // namespace wq::kernels::cpu
