// Attention over a compressed KV cache on the GPU: framework-free (raw device pointers, sizes
// and a stream). Decode is q_tokens = 1; query prefill is the same call with q_tokens > 1.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>

#include "kernels/kv_view.h"

namespace wq::kernels {

// Bytes of device workspace attention_over_segments needs for this shape on the current device
// (partial outputs of the split-sequence pass).
size_t attention_workspace_bytes(const attention_shape& shape);

// q:        [batch][q_tokens][q_heads][head_dim], fp16 or bf16 (shape.bf16), device
// segments: [batch][num_segments] device copy of a table finalised by finalize_segment_table
// out:      [batch][q_tokens][q_heads][head_dim], same dtype as q, device
// lse:      optional [batch][q_tokens][q_heads] fp32 (natural log of the softmax denominator
//           over the cache; lets the caller merge the queries' own causal block)
// Query head h reads KV head h / (q_heads / kv_heads). Requirements (checked, throw
// std::invalid_argument): head_dim 64 or 128; per-channel key groups a multiple of 16; per-token
// groups a multiple of 16 with head_dim / group <= 8; values stored per token; no 16-bit tokens
// inside an interleaved tensor (host-side check in make_* helpers). Asynchronous on `stream`.
void attention_over_segments(const attention_shape& shape, const void* q,
                             const segment_view* segments, void* out, float* lse, void* workspace,
                             size_t workspace_bytes, cudaStream_t stream);

// Host-side validation of one segment's views against the kernel's requirements; throws
// std::invalid_argument naming the problem.
void check_segment_supported(const segment_view& segment, int head_dim);

}  // namespace wq::kernels
