// Thin LibTorch binding of the framework-free CUDA kernels: validates device, dtype, shape and
// contiguity with clear errors, allocates outputs with the caching allocator and launches on
// the current stream. Compiled only where LibTorch has CUDA (WQ_TORCH_CUDA).
#pragma once

#include <ATen/ATen.h>

#include <tuple>
#include <vector>

#include "kernels/cuda/quantize_pack.cuh"
#include "kernels/kv_view.h"

namespace wq::kernels::torch_api {

// q: [batch, q_tokens, q_heads, head_dim] CUDA fp16/bf16 contiguous; table: host copy of a
// finalised segment table whose views point at device memory on q's device (batch ·
// num_segments entries). Returns (out [same shape and dtype as q], lse [batch, q_tokens,
// q_heads] fp32).
std::tuple<at::Tensor, at::Tensor> attention(const at::Tensor& q, const std::vector<segment_view>& table,
                                             int kv_heads, int num_segments, double scale = 0.0);

// x: [heads, tokens, channels] CUDA fp16/bf16/fp32 contiguous. Returns (words int32 [heads,
// rows, row_words], scales int16 [heads, rows, row_groups], mins int16 (empty when the format
// stores none)); int32/int16 hold the uint32/fp16 bit patterns of docs/packing.md.
std::tuple<at::Tensor, at::Tensor, at::Tensor> quantize_pack(const at::Tensor& x, const pack_spec& spec);

}  // namespace wq::kernels::torch_api
