#include "core/cache/kernel_views.h"

#include <stdexcept>

namespace wq::cache {

using kernels::dequant_rule;
using kernels::tensor_format;

kernels::tensor_view view_of(const quant::QTensor& q) {
  using quant::QuantBits;
  const quant::QuantSpec& s = q.spec;
  if (s.transform == quant::Transform::fft_channels)
    throw std::invalid_argument("view_of: no kernel reads FFT-transformed channels");
  if (s.bits == QuantBits::b16) throw std::invalid_argument("view_of: b16 passthrough is not a packed view");
  kernels::tensor_view tv;
  tv.format = tensor_format::packed;
  tv.axis = s.axis;
  tv.group_size = s.group_size;
  tv.storage_bits = static_cast<uint8_t>(quant::format_info(s.bits).storage_bits);
  tv.base3 = s.bits == QuantBits::b1_58 && s.ternary_storage == quant::TernaryStorage::base3;
  if (s.bits == QuantBits::b1_58) tv.rule = dequant_rule::ternary;
  else if (s.bits == QuantBits::b1 && s.one_bit_rule == quant::OneBitRule::sign_meanabs) tv.rule = dequant_rule::scale_only;
  else if (s.symmetric) tv.rule = dequant_rule::sym;
  else tv.rule = dequant_rule::asym;
  tv.words = q.words.data();
  tv.scales = q.scales.data();
  tv.mins = q.mins.empty() ? nullptr : q.mins.data();
  return tv;
}

kernels::tensor_view view_of(const InterleavedTensor& t) {
  kernels::tensor_view tv;
  tv.format = tensor_format::interleaved;
  tv.group_size = t.group_size;
  tv.words = t.words.data();
  tv.scales = t.scales.data();
  tv.mins = t.mins.data();
  tv.bits = t.bits.data();
  tv.word_offset = t.word_offset.data();
  return tv;
}

std::string kernel_unreadable(const quant::QuantSpec& spec, bool channel_parts) {
  if (channel_parts) return "channel parts";
  if (spec.transform == quant::Transform::fft_channels) return "an FFT of the channels";
  return "";
}

std::string ChannelFrame::add(quant::Transform transform) {
  if (seen_ && transform != transform_) return "quantized tensors of one layer in different channel frames";
  seen_ = true;
  transform_ = transform;
  return "";
}

kernels::tensor_view dense_view(const uint16_t* bits, bool bf16) {
  kernels::tensor_view tv;
  tv.format = tensor_format::dense16;
  tv.storage_bits = 16;
  tv.dense_bf16 = bf16;
  tv.words = reinterpret_cast<const uint32_t*>(bits);
  return tv;
}

}  // namespace wq::cache
