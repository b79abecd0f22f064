// Exact softmax attention for the model families, in two implementations of the same maths.
// The math path (matmul, fp32 softmax over materialised scores, as transformers' eager
// attention) is the reference and the only one LibTorch 1.13 has. On LibTorch >= 2 the same
// calls go to PyTorch's fused scaled_dot_product_attention (flash / memory-efficient
// kernels: no score matrix in memory), except where an lse is asked for: the public SDPA
// returns none.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace wq::models {

// q: [B, Hq, T, D], k/v: [B, Hkv, S, D] with S = past + T and Hq a multiple of Hkv (grouped
// heads are read without repeating K/V); query i sits at key index past + i and sees keys
// 0 .. past + i. Returns [B, Hq, T, D] in q's dtype. lse, when given, receives [B, Hq, T]
// fp32: ln Σ exp of the scaled, masked scores (to merge with attention over a compressed
// context); asking for it takes the math path.
at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            std::int64_t past, at::Tensor* lse = nullptr);
// The math path of causal_attention, always: the reference the fused path is tested against.
at::Tensor causal_attention_reference(const at::Tensor& q, const at::Tensor& k,
                                      const at::Tensor& v, std::int64_t past,
                                      at::Tensor* lse = nullptr);

// Every query sees every key (vision towers): q/k/v [N, heads, T, D] -> [N, heads, T, D].
at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
at::Tensor full_attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// "sdpa" where the fused path is compiled in (LibTorch >= 2), else "math": benchmarks print it.
const char* attention_backend();

}  // namespace wq::models
