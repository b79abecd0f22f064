// Whole-matrix quantize/dequantize in the layouts of docs/packing.md (see quantize.h).
#include "core/quant/quantize.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/quant/group_quant.h"
#include "core/quant/half.h"
#include "core/quant/packing.h"
#include "core/quant/transforms.h"

namespace wq::quant {

namespace {

bool is_base3(const QuantSpec& s) {
  return s.bits == QuantBits::b1_58 && s.ternary_storage == TernaryStorage::base3;
}

// Width of one code slot for pack_codes (ternary slots2 -> 2).
int slot_bits(const QuantSpec& s) { return format_info(s.bits).storage_bits; }

void pack_row(const QuantSpec& s, const uint32_t* codes, size_t n, uint32_t* words) {
  if (is_base3(s)) pack_base3(codes, n, words);
  else pack_codes(codes, n, slot_bits(s), words);
}

uint32_t read_code(const QuantSpec& s, const uint32_t* row_words, size_t index) {
  return is_base3(s) ? unpack_trit(row_words, index) : unpack_code(row_words, index, slot_bits(s));
}

void check_input(const float* x, int tokens, int channels) {
  const size_t d = static_cast<size_t>(channels);
  for (int t = 0; t < tokens; ++t) {
    for (int c = 0; c < channels; ++c) {
      const float v = x[t * d + c];
      if (!std::isfinite(v)) {
        std::ostringstream os;
        os << "quantize: non-finite value " << v << " at token " << t << ", channel " << c;
        throw std::invalid_argument(os.str());
      }
    }
  }
}

void check_shapes(int tokens, int channels, const QuantSpec& spec, const QuantizeOptions& options) {
  if (tokens < 0 || channels < 1) {
    throw std::invalid_argument("quantize: bad shape [" + std::to_string(tokens) + "][" +
                                std::to_string(channels) + "]");
  }
  if (spec.transform == Transform::hadamard && !is_power_of_two(channels)) {
    throw std::invalid_argument("quantize: hadamard needs a power-of-two channel count, got " +
                                std::to_string(channels));
  }
  if (spec.bits == QuantBits::b16) return;
  const int d_stored = stored_channels(spec, channels);
  if (spec.axis == GroupAxis::channels && d_stored % spec.group_size != 0) {
    throw std::invalid_argument("quantize: group_size " + std::to_string(spec.group_size) +
                                " does not divide stored channels " + std::to_string(d_stored) +
                                " (axis channels)");
  }
  if (spec.axis == GroupAxis::tokens && !options.allow_partial_token_group &&
      tokens % spec.group_size != 0) {
    throw std::invalid_argument("quantize: group_size " + std::to_string(spec.group_size) +
                                " does not divide tokens " + std::to_string(tokens) +
                                " (axis tokens; cache segments allow a partial last group)");
  }
}

}  // namespace

size_t QTensor::words_per_row() const {
  if (spec.bits == QuantBits::b16) return words_for(stored_channels, 2);
  const int c = codes_per_word(spec);
  return spec.axis == GroupAxis::tokens ? words_for(tokens, c) : words_for(stored_channels, c);
}

size_t QTensor::groups_per_row() const {
  if (spec.bits == QuantBits::b16) return 0;
  return spec.axis == GroupAxis::tokens ? words_for(tokens, spec.group_size)
                                        : static_cast<size_t>(stored_channels / spec.group_size);
}

QTensorSizes quantized_sizes(int tokens, int channels, const QuantSpec& spec, const QuantizeOptions& options) {
  validate(spec);
  check_shapes(tokens, channels, spec, options);
  QTensor shape;  // sizes only, no arrays
  shape.spec = spec;
  shape.tokens = tokens;
  shape.channels = channels;
  shape.stored_channels = stored_channels(spec, channels);
  QTensorSizes sizes;
  if (spec.bits == QuantBits::b16) {
    sizes.words = static_cast<size_t>(tokens) * shape.words_per_row();
    return sizes;
  }
  const size_t rows = spec.axis == GroupAxis::tokens ? static_cast<size_t>(shape.stored_channels)
                                                     : static_cast<size_t>(tokens);
  sizes.words = rows * shape.words_per_row();
  sizes.scales = rows * shape.groups_per_row();
  sizes.mins = stores_min(spec) ? sizes.scales : 0;
  return sizes;
}

QTensor quantize(const float* x, int tokens, int channels, const QuantSpec& spec,
                 const QuantizeOptions& options) {
  validate(spec);
  check_shapes(tokens, channels, spec, options);
  check_input(x, tokens, channels);
  QTensor q;
  q.spec = spec;
  q.tokens = tokens;
  q.channels = channels;
  q.stored_channels = stored_channels(spec, channels);
  const size_t ds = static_cast<size_t>(q.stored_channels);
  const std::vector<float> y = apply_transform(spec.transform, x, tokens, channels);

  if (spec.bits == QuantBits::b16) {
    const size_t wpr = q.words_per_row();
    q.words.assign(static_cast<size_t>(tokens) * wpr, 0);
    std::vector<uint32_t> halves(ds);
    for (int t = 0; t < tokens; ++t) {
      for (size_t c = 0; c < ds; ++c) {
        const float v = y[t * ds + c];
        if (!(std::fabs(v) <= kHalfMax)) {
          throw std::invalid_argument("quantize: value " + std::to_string(v) + " at token " +
                                      std::to_string(t) + " exceeds the fp16 range");
        }
        halves[c] = float_to_half(v);
      }
      pack_codes(halves.data(), ds, 16, q.words.data() + t * wpr);
    }
    return q;
  }

  const size_t rows = spec.axis == GroupAxis::tokens ? ds : static_cast<size_t>(tokens);
  const size_t row_len = spec.axis == GroupAxis::tokens ? static_cast<size_t>(tokens) : ds;
  const size_t wpr = q.words_per_row(), gpr = q.groups_per_row();
  const size_t g = static_cast<size_t>(spec.group_size);
  const bool has_min = stores_min(spec);
  const QTensorSizes sizes = quantized_sizes(tokens, channels, spec, options);  // the one size rule
  q.words.assign(sizes.words, 0);
  q.scales.assign(sizes.scales, 0);
  q.mins.assign(sizes.mins, 0);
  std::vector<uint32_t> codes(row_len);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < gpr; ++k) {
      const size_t start = k * g;
      const size_t n = std::min(g, row_len - start);
      // axis tokens: row r is stored channel r, elements strided by ds through y.
      const float* first = spec.axis == GroupAxis::tokens ? &y[start * ds + r] : &y[r * ds + start];
      const size_t stride = spec.axis == GroupAxis::tokens ? ds : 1;
      const GroupParams p = quantize_group(first, n, stride, spec, codes.data() + start);
      q.scales[r * gpr + k] = p.scale;
      if (has_min) q.mins[r * gpr + k] = p.min;
    }
    if (row_len > 0) pack_row(spec, codes.data(), row_len, q.words.data() + r * wpr);
  }
  return q;
}

float dequantize_element(const QTensor& q, int token, int stored_channel) {
  const size_t wpr = q.words_per_row();
  if (q.spec.bits == QuantBits::b16) {
    return half_to_float(static_cast<uint16_t>(unpack_code(q.words.data() + token * wpr, stored_channel, 16)));
  }
  const bool by_tokens = q.spec.axis == GroupAxis::tokens;
  const size_t row = by_tokens ? stored_channel : token;
  const size_t index = by_tokens ? token : stored_channel;
  const size_t group = row * q.groups_per_row() + index / q.spec.group_size;
  const uint32_t code = read_code(q.spec, q.words.data() + row * wpr, index);
  const float scale = half_to_float(q.scales[group]);
  const float min = q.mins.empty() ? 0.0f : half_to_float(q.mins[group]);
  return dequantize_code(code, scale, min, q.spec);
}

void dequantize_into(const QTensor& q, float* out) {
  const size_t ds = static_cast<size_t>(q.stored_channels);
  std::vector<float> y(static_cast<size_t>(q.tokens) * ds);
  const size_t wpr = q.words_per_row();
  if (q.spec.bits == QuantBits::b16) {
    for (int t = 0; t < q.tokens; ++t)
      for (size_t c = 0; c < ds; ++c)
        y[t * ds + c] = half_to_float(static_cast<uint16_t>(unpack_code(q.words.data() + t * wpr, c, 16)));
  } else {
    // Row by row (a row is a stored channel for axis tokens, a token otherwise): unpack the
    // row's codes once, then apply each group's fp16 statistics (same math as
    // dequantize_element, which tests compare against).
    const bool by_tokens = q.spec.axis == GroupAxis::tokens;
    const size_t rows = by_tokens ? ds : static_cast<size_t>(q.tokens);
    const size_t row_len = by_tokens ? static_cast<size_t>(q.tokens) : ds;
    const size_t gpr = q.groups_per_row(), g = static_cast<size_t>(q.spec.group_size);
    std::vector<uint32_t> codes(row_len);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < row_len; ++i) codes[i] = read_code(q.spec, q.words.data() + r * wpr, i);
      for (size_t k = 0; k < gpr; ++k) {
        const float scale = half_to_float(q.scales[r * gpr + k]);
        const float min = q.mins.empty() ? 0.0f : half_to_float(q.mins[r * gpr + k]);
        for (size_t i = k * g; i < std::min(row_len, (k + 1) * g); ++i) {
          const float v = dequantize_code(codes[i], scale, min, q.spec);
          if (by_tokens) y[i * ds + r] = v;
          else y[r * ds + i] = v;
        }
      }
    }
  }
  if (q.spec.transform == Transform::none) {
    std::copy(y.begin(), y.end(), out);
    return;
  }
  const std::vector<float> x = invert_transform(q.spec.transform, y.data(), q.tokens, q.channels);
  std::copy(x.begin(), x.end(), out);
}

std::vector<float> dequantize(const QTensor& q) {
  std::vector<float> out(static_cast<size_t>(q.tokens) * q.channels);
  dequantize_into(q, out.data());
  return out;
}

std::vector<float> fake_quantize(const float* x, int tokens, int channels, const QuantSpec& spec,
                                 const QuantizeOptions& options) {
  return dequantize(quantize(x, tokens, channels, spec, options));
}

}  // namespace wq::quant
