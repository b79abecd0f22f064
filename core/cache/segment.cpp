// Building and reading segment tensors, with their exact bit accounting.
#include "core/cache/segment.h"

#include <algorithm>
#include <stdexcept>

#include "core/quant/packing.h"

namespace wq::cache {

using namespace wq::quant;

BitCounts& BitCounts::operator+=(const BitCounts& o) {
  elements += o.elements;
  nominal += o.nominal;
  code_bits += o.code_bits;
  scale_bits += o.scale_bits;
  min_bits += o.min_bits;
  side_bits += o.side_bits;
  fp_bits += o.fp_bits;
  return *this;
}

BitCounts BitCounts::scaled(double f) const {
  BitCounts b = *this;
  b.elements *= f;
  b.nominal *= f;
  b.code_bits *= f;
  b.scale_bits *= f;
  b.min_bits *= f;
  b.side_bits *= f;
  b.fp_bits *= f;
  return b;
}

namespace {

// Storage of one packed part of tokens × channels under spec. A b16 part's words are fp16
// data, so they are counted as full-precision bits, not code bits.
BitCounts count_part(const QuantSpec& spec, int tokens, int channels, const QTensorSizes& sizes) {
  BitCounts b;
  const double elements = static_cast<double>(tokens) * channels;
  b.elements = elements;
  b.nominal = format_info(spec.bits).nominal_bits * elements;
  if (spec.bits == QuantBits::b16) {
    b.fp_bits = 32.0 * sizes.words;
  } else {
    b.code_bits = 32.0 * sizes.words;
  }
  b.scale_bits = 16.0 * sizes.scales;
  b.min_bits = 16.0 * sizes.mins;
  return b;
}

}  // namespace

SegmentTensor make_quantized_tensor(const float* x, int n, int head_dim, const TensorPlan& plan,
                                    CacheMode mode) {
  SegmentTensor out;
  std::vector<ChannelPartSpec> parts = plan.parts;
  const bool split = !parts.empty();
  if (!split) {
    ChannelPartSpec all;
    all.spec = plan.spec;
    for (int c = 0; c < head_dim; ++c) all.channels.push_back(c);
    parts.push_back(all);
  }
  if (mode == CacheMode::simulate) out.values.assign(static_cast<size_t>(n) * head_dim, 0.0f);
  QuantizeOptions options;
  options.allow_partial_token_group = true;  // a segment may end with a short token group
  for (const ChannelPartSpec& part : parts) {
    const int w = static_cast<int>(part.channels.size());
    if (split) out.bits.side_bits += 16.0 * w;
    if (mode == CacheMode::layout) {
      out.bits += count_part(part.spec, n, w, quantized_sizes(n, w, part.spec, options));
      continue;
    }
    std::vector<float> sub(static_cast<size_t>(n) * w);
    for (int t = 0; t < n; ++t)
      for (int j = 0; j < w; ++j) sub[t * w + j] = x[static_cast<size_t>(t) * head_dim + part.channels[j]];
    QTensor q = quantize(sub, n, w, part.spec, options);
    out.bits += count_part(q.spec, q.tokens, q.channels, {q.words.size(), q.scales.size(), q.mins.size()});
    if (mode == CacheMode::simulate) {
      const std::vector<float> y = dequantize(q);
      for (int t = 0; t < n; ++t)
        for (int j = 0; j < w; ++j) out.values[static_cast<size_t>(t) * head_dim + part.channels[j]] = y[t * w + j];
    } else {
      TensorPart tp;
      tp.channels = split ? part.channels : std::vector<int>{};
      tp.packed = std::move(q);
      out.parts.push_back(std::move(tp));
    }
  }
  return out;
}

SegmentTensor make_interleaved_tensor(const float* x, int n, int head_dim,
                                      const std::vector<QuantBits>& bits, int group_size,
                                      CacheMode mode) {
  SegmentTensor out;
  InterleavedTensor q = mode == CacheMode::layout ? interleaved_layout(n, head_dim, bits, group_size)
                                                  : quantize_interleaved(x, n, head_dim, bits, group_size);
  BitCounts& b = out.bits;
  b.elements = static_cast<double>(n) * head_dim;
  for (int t = 0; t < n; ++t) {
    b.nominal += format_info(bits[t]).nominal_bits * head_dim;
    const double word_bits = 32.0 * words_for(head_dim, 32 / q.bits[t]);
    if (q.bits[t] == 16) b.fp_bits += word_bits;
    else b.code_bits += word_bits;
  }
  // One fp16 scale and min per token and channel group (layout mode allocates neither).
  b.scale_bits = 16.0 * n * (head_dim / group_size);
  b.min_bits = b.scale_bits;
  b.side_bits = 8.0 * q.side_bytes();
  if (mode == CacheMode::simulate) {
    out.values.resize(static_cast<size_t>(n) * head_dim);
    dequantize_interleaved(q, out.values.data());
  } else if (mode == CacheMode::packed) {
    out.interleaved = std::move(q);
  }
  return out;
}

SegmentTensor make_full_precision_tensor(const float* x, int n, int head_dim) {
  SegmentTensor out;
  const size_t count = static_cast<size_t>(n) * head_dim;
  if (x) out.values.assign(x, x + count);
  // Kept as fp32 here so simulate and packed modes agree exactly; accounted as fp16, the
  // storage a deployment would use (docs/effective-bits.md).
  out.bits.elements = static_cast<double>(count);
  out.bits.nominal = 16.0 * count;
  out.bits.fp_bits = 16.0 * count;
  return out;
}

void read_tensor(const Segment& segment, const SegmentTensor& tensor, int head_dim, float* out) {
  const int n = segment.size();
  if (!tensor.values.empty() || n == 0) {
    std::copy(tensor.values.begin(), tensor.values.end(), out);
    return;
  }
  const bool layout_only = segment.kind == SegmentKind::interleaved ? tensor.interleaved.tokens == 0
                                                                    : tensor.parts.empty();
  if (layout_only) throw std::logic_error("read_tensor: a layout-mode segment holds no values to read");
  if (segment.kind == SegmentKind::interleaved) {
    dequantize_interleaved(tensor.interleaved, out);
    return;
  }
  for (const TensorPart& part : tensor.parts) {
    const std::vector<float> y = dequantize(part.packed);
    if (part.channels.empty()) {
      std::copy(y.begin(), y.end(), out);
      continue;
    }
    const int w = static_cast<int>(part.channels.size());
    for (int t = 0; t < n; ++t)
      for (int j = 0; j < w; ++j) out[static_cast<size_t>(t) * head_dim + part.channels[j]] = y[t * w + j];
  }
}

}  // namespace wq::cache
