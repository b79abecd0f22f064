// Views (kernels/kv_view.h) over core/quant and core/cache host structures: how packed-mode
// caches hand their arrays to the kernels without copying.
#pragma once

#include "core/cache/interleaved.h"
#include "core/quant/quantize.h"
#include "kernels/kv_view.h"

namespace wq::kernels {

// One head's QTensor (transform none; fp16 storage b16 is not a packed view). Throws
// std::invalid_argument for transforms the kernels do not undo.
tensor_view view_of(const quant::QTensor& q);
// One head's interleaved tensor.
tensor_view view_of(const cache::InterleavedTensor& t);
// Dense fp16 bits [tokens][head_dim] (e.g. a converted tail).
tensor_view dense_view(const uint16_t* fp16_bits, bool bf16 = false);

}  // namespace wq::kernels
