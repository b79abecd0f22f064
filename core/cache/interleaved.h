// Token-interleaved storage (docs/packing.md "Token-interleaved layout"): token-level mixed
// precision where every token carries its own width. This is the layout whose per-token
// branching WindowQuant's reordering removes, so it is kept exactly as a kernel would read it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/quant/quant_format.h"

namespace wq::cache {

struct InterleavedTensor {
  int tokens = 0;
  int channels = 0;     // D
  int group_size = 32;  // G, divides D
  std::vector<uint8_t> bits;           // [T] integer width 1, 2, 3, 4, 8 or 16
  std::vector<uint32_t> word_offset;   // [T] exclusive prefix sum of ceil(D / c_t)
  std::vector<uint32_t> words;         // all tokens' codes, token t at word_offset[t]
  std::vector<uint16_t> scales;        // fp16 [T][D / G] (zero for 16-bit tokens)
  std::vector<uint16_t> mins;          // fp16 [T][D / G] (zero for 16-bit tokens)

  size_t code_bytes() const { return words.size() * 4; }
  size_t scale_bytes() const { return scales.size() * 2; }
  size_t min_bytes() const { return mins.size() * 2; }
  // bits[] and word_offset[]: per-token side storage a kernel must read.
  size_t side_bytes() const { return bits.size() + word_offset.size() * 4; }
};

// The per-token side data of quantize_interleaved (bits, word_offset; the same checks of widths
// and group size) without its codes, scales and mins: what layout-mode accounting needs.
InterleavedTensor interleaved_layout(int tokens, int channels, const std::vector<quant::QuantBits>& bits,
                                     int group_size);
// x: [tokens][channels] fp32; bits: [tokens]. Each token is quantized asymmetric min/max
// (1-bit minmax rule) with channel groups of group_size; 16-bit tokens are stored as fp16
// pairs (two channels per word). Throws std::invalid_argument for ternary widths, a group
// size that does not divide channels, or non-finite values.
InterleavedTensor quantize_interleaved(const float* x, int tokens, int channels,
                                       const std::vector<quant::QuantBits>& bits, int group_size);
// out: [tokens][channels] fp32.
void dequantize_interleaved(const InterleavedTensor& q, float* out);

}  // namespace wq::cache
