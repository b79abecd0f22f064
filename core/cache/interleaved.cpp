// Token-interleaved storage: every token packed at its own width (docs/packing.md).
#include "core/cache/interleaved.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "core/quant/group_quant.h"
#include "core/quant/half.h"
#include "core/quant/packing.h"
#include "core/quant/quant_spec.h"

namespace wq::cache {

using namespace wq::quant;

InterleavedTensor interleaved_layout(int tokens, int channels, const std::vector<QuantBits>& bits, int group_size) {
  if (bits.size() != static_cast<size_t>(tokens)) {
    throw std::invalid_argument("quantize_interleaved: " + std::to_string(bits.size()) +
                                " widths for " + std::to_string(tokens) + " tokens");
  }
  if (group_size < 1 || channels % group_size != 0) {
    throw std::invalid_argument("quantize_interleaved: group_size " + std::to_string(group_size) +
                                " does not divide channels " + std::to_string(channels));
  }
  InterleavedTensor q;
  q.tokens = tokens;
  q.channels = channels;
  q.group_size = group_size;
  q.bits.resize(tokens);
  q.word_offset.resize(tokens);
  size_t offset = 0;
  for (int t = 0; t < tokens; ++t) {
    if (bits[t] == QuantBits::b1_58) {
      throw std::invalid_argument("quantize_interleaved: ternary is not an interleaved width");
    }
    const int b = integer_bits(bits[t]);
    q.bits[t] = static_cast<uint8_t>(b);
    // uint32 offsets: fine up to 2^32 words = 16 GiB per head, far above any context.
    q.word_offset[t] = static_cast<uint32_t>(offset);
    offset += words_for(channels, 32 / b);
  }
  return q;
}

InterleavedTensor quantize_interleaved(const float* x, int tokens, int channels,
                                       const std::vector<QuantBits>& bits, int group_size) {
  InterleavedTensor q = interleaved_layout(tokens, channels, bits, group_size);
  const size_t groups = static_cast<size_t>(channels / group_size);
  q.words.assign(tokens ? q.word_offset.back() + words_for(channels, 32 / q.bits.back()) : 0, 0);
  q.scales.assign(tokens * groups, 0);
  q.mins.assign(tokens * groups, 0);
  std::vector<uint32_t> codes(channels);
  for (int t = 0; t < tokens; ++t) {
    const float* row = x + static_cast<size_t>(t) * channels;
    uint32_t* dst = q.words.data() + q.word_offset[t];
    if (q.bits[t] == 16) {
      for (int c = 0; c < channels; ++c) {
        if (!(std::fabs(row[c]) <= kHalfMax)) {
          throw std::invalid_argument("quantize_interleaved: value at token " + std::to_string(t) +
                                      ", channel " + std::to_string(c) + " is not finite fp16");
        }
        codes[c] = float_to_half(row[c]);
      }
      pack_codes(codes.data(), channels, 16, dst);
      continue;
    }
    const QuantSpec spec = uniform_spec(bits[t], group_size, GroupAxis::channels);
    for (size_t g = 0; g < groups; ++g) {
      const GroupParams p = quantize_group(row + g * group_size, group_size, 1, spec,
                                           codes.data() + g * group_size);
      q.scales[t * groups + g] = p.scale;
      q.mins[t * groups + g] = p.min;
    }
    pack_codes(codes.data(), channels, q.bits[t], dst);
  }
  return q;
}

void dequantize_interleaved(const InterleavedTensor& q, float* out) {
  const size_t groups = static_cast<size_t>(q.channels / q.group_size);
  for (int t = 0; t < q.tokens; ++t) {
    const int b = q.bits[t];  // the per-token branch a kernel has to take
    const uint32_t* src = q.words.data() + q.word_offset[t];
    float* row = out + static_cast<size_t>(t) * q.channels;
    for (int c = 0; c < q.channels; ++c) {
      const uint32_t code = unpack_code(src, c, b);
      if (b == 16) {
        row[c] = half_to_float(static_cast<uint16_t>(code));
      } else {
        const size_t g = t * groups + c / q.group_size;
        row[c] = static_cast<float>(code) * half_to_float(q.scales[g]) + half_to_float(q.mins[g]);
      }
    }
  }
}

}  // namespace wq::cache
