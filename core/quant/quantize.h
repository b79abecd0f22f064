// Quantize / dequantize one [tokens][channels] fp32 matrix (one layer, one KV head) into a
// QTensor whose arrays are laid out exactly as docs/packing.md says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/quant/quant_spec.h"

namespace wq::quant {

// A quantized matrix. Layouts (c = codes_per_word(spec), D' = stored_channels):
//  axis tokens   (per-channel groups of G tokens):
//    words  uint32 [D'][ceil(T / c)]     channel-major; token t of channel d = slot t % c of
//                                        word t / c of row d
//    scales fp16   [D'][ceil(T / G)]     (last group may be partial, see QuantizeOptions)
//    mins   fp16   [D'][ceil(T / G)]     only when stores_min(spec), else empty
//  axis channels (per-token groups of G channels, G divides D'):
//    words  uint32 [T][ceil(D' / c)]     token-major
//    scales fp16   [T][D' / G]
//    mins   fp16   [T][D' / G]           only when stores_min(spec)
//  b16 passthrough (any axis): words uint32 [T][ceil(D' / 2)] holding fp16 bits, channel
//    2j in the low half of word j; no scales, no mins.
// Ternary base3 uses c = 20 trits per word in the same row layouts.
struct QTensor {
  QuantSpec spec;
  int tokens = 0;           // T
  int channels = 0;         // D, before the transform
  int stored_channels = 0;  // D': D, or 2·D for fft_channels
  std::vector<uint32_t> words;
  std::vector<uint16_t> scales;  // fp16 bits
  std::vector<uint16_t> mins;    // fp16 bits

  // Words per row (a row is a channel for axis tokens, a token otherwise; b16: a token).
  size_t words_per_row() const;
  // Groups per row (ceil(T / G) for axis tokens, D' / G for axis channels; 0 for b16).
  size_t groups_per_row() const;
  size_t code_bytes() const { return words.size() * 4; }
  size_t scale_bytes() const { return scales.size() * 2; }
  size_t min_bytes() const { return mins.size() * 2; }
  size_t total_bytes() const { return code_bytes() + scale_bytes() + min_bytes(); }
};

struct QuantizeOptions {
  // Cache segments may end with a short token group (axis tokens) whose statistics cover
  // only the tokens present (docs/packing.md). The generic primitive refuses it by default
  // so that a wrong group size is caught.
  bool allow_partial_token_group = false;
};

// x: [tokens][channels] fp32 row-major, every value finite (NaN/Inf -> std::invalid_argument
// naming token and channel). Throws std::invalid_argument when group_size does not divide
// the grouped axis ("quantize: group_size 32 does not divide tokens 50 (axis tokens)"),
// or when the transform does not fit (hadamard needs a power-of-two D).
QTensor quantize(const float* x, int tokens, int channels, const QuantSpec& spec,
                 const QuantizeOptions& options = {});
inline QTensor quantize(const std::vector<float>& x, int tokens, int channels,
                        const QuantSpec& spec, const QuantizeOptions& options = {}) {
  return quantize(x.data(), tokens, channels, spec, options);
}

// How many words, scales and mins quantize() stores for this shape and spec, without
// quantizing (the same checks of spec and shape): exact byte accounting of a cache whose
// values live elsewhere (a GPU-built packed cache).
struct QTensorSizes {
  size_t words = 0, scales = 0, mins = 0;
};
QTensorSizes quantized_sizes(int tokens, int channels, const QuantSpec& spec, const QuantizeOptions& options = {});

// out: [tokens][channels] fp32 (inverse transform applied).
void dequantize_into(const QTensor& q, float* out);
std::vector<float> dequantize(const QTensor& q);

// Stored (pre-inverse-transform) value of token t, stored channel d: what a kernel computes
// from the packed arrays. Used by tests and by on-the-fly readers.
float dequantize_element(const QTensor& q, int token, int stored_channel);

// dequantize(quantize(x)): the simulate-mode round trip, [tokens][channels] fp32.
std::vector<float> fake_quantize(const float* x, int tokens, int channels, const QuantSpec& spec,
                                 const QuantizeOptions& options = {});

}  // namespace wq::quant
