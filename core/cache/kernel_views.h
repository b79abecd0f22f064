// Adapters from core/quant and core/cache host structures to the kernels' views
// (kernels/kv_view.h): how packed-mode caches hand their arrays to the kernels without copying.
#pragma once

#include <string>

#include "core/cache/interleaved.h"
#include "core/quant/quantize.h"
#include "kernels/kv_view.h"

namespace wq::cache {

// One head's QTensor (transform none; fp16 storage b16 is not a packed view). Throws
// std::invalid_argument for transforms the kernels do not undo.
kernels::tensor_view view_of(const quant::QTensor& q);
// One head's interleaved tensor.
kernels::tensor_view view_of(const InterleavedTensor& t);
// What keeps the kernels (CPU and CUDA) from reading a tensor quantized under `spec`, split
// into channel parts or not: "channel parts", a channel transform, or "" when a view describes
// it. The packed-mode readers report it as the reason a layer is dequantized.
std::string kernel_unreadable(const quant::QuantSpec& spec, bool channel_parts);
// Dense fp16 bits [tokens][head_dim] (e.g. a converted tail).
kernels::tensor_view dense_view(const uint16_t* fp16_bits, bool bf16 = false);

}  // namespace wq::cache
