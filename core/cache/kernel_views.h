// Adapters from core/quant and core/cache host structures to the kernels' views
// (kernels/kv_view.h): how packed-mode caches hand their arrays to the kernels without copying.
#pragma once

#include <string>

#include "core/cache/interleaved.h"
#include "core/quant/quantize.h"
#include "kernels/kv_view.h"

namespace wq::cache {

// One head's QTensor (fp16 storage b16 is not a packed view). A Hadamard-rotated tensor is
// viewed as stored (rotated channels: see ChannelFrame); throws std::invalid_argument for an
// FFT of the channels, which no kernel reads.
kernels::tensor_view view_of(const quant::QTensor& q);
// One head's interleaved tensor.
kernels::tensor_view view_of(const InterleavedTensor& t);
// What keeps the kernels (CPU and CUDA) from reading a tensor quantized under `spec`, split
// into channel parts or not: "channel parts", an FFT of the channels, or "" when a view
// describes it. The packed-mode readers report it as the reason a layer is dequantized.
std::string kernel_unreadable(const quant::QuantSpec& spec, bool channel_parts);

// The channel frame the kernels read one layer in. A Walsh-Hadamard rotation H is orthonormal
// and its own inverse, so q·k = (Hq)·(Hk) and Σ p·v = H·Σ p·(Hv): a layer whose quantized
// tensors all store rotated channels is read with the query rotated, its full-precision
// tokens (and tail) rotated the same way, and the output rotated back; the scores, and so the
// log-sum-exp, are those of the unrotated layer. Tensors of one layer in different frames
// cannot share one kernel call.
class ChannelFrame {
 public:
  // Adds one quantized tensor's transform; returns why the layer has no single frame ("" if it
  // has one so far).
  std::string add(quant::Transform transform);
  bool rotated() const { return seen_ && transform_ == quant::Transform::hadamard; }

 private:
  bool seen_ = false;
  quant::Transform transform_ = quant::Transform::none;
};
// Dense fp16 bits [tokens][head_dim] (e.g. a converted tail).
kernels::tensor_view dense_view(const uint16_t* fp16_bits, bool bf16 = false);

}  // namespace wq::cache
