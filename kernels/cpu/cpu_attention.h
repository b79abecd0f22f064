// Vectorised CPU attention over a segment table (the fast CPU path; its scalar twin is
// reference_attention.h). fp32 arithmetic: 64-token tiles are dequantized into contiguous
// buffers with the width as a template parameter, then dot products and the value sum run as
// plain loops the compiler vectorises, with an online softmax across tiles.
#pragma once

#include "kernels/kv_view.h"

namespace wq::kernels::cpu {

// Same contract as reference_attention (host views; q/out [batch][q_tokens][q_heads][head_dim]
// fp32; lse optional, natural log). head_dim 16, 32, 64 or 128 (dispatch_cpu_head_dim).
void cpu_attention(const attention_shape& shape, const float* q, const segment_view* table, float* out,
                   float* lse = nullptr);

}  // namespace wq::kernels::cpu
