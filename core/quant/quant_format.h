// The one table of quantization formats (ggml's type_traits pattern): every bit-width the
// harness knows, with its storage and test tolerance as columns. Add a format = add a row.
#pragma once

#include <cstdint>
#include <string>

namespace wq::quant {

// Stable values: they are written to result files and read by kernels.
enum class QuantBits : uint8_t { b1 = 0, b1_58 = 1, b2 = 2, b3 = 3, b4 = 4, b8 = 5, b16 = 6 };

inline constexpr int kNumQuantBits = 7;

struct FormatInfo {
  QuantBits bits;
  const char* name;          // config spelling: "1", "1.58", "2", "3", "4", "8", "16"
  double nominal_bits;       // what papers call the width (1.58 for ternary)
  int storage_bits;          // bits of one code slot in a word (2 for ternary slots2)
  int codes_per_word;        // floor(32 / storage_bits) (docs/packing.md); 2 for fp16 pairs
  int levels;                // distinct codes: 2^b, 3 for ternary, 0 for fp16 passthrough
  // Round-trip tolerance in units of the quantization step: |x - x̂| <= tol_steps * step
  // + fp16 rounding of scale/min (see tests/quant). 0.5 = round to nearest.
  double tol_steps;
};

// One row per QuantBits value, in enum order (static_asserts below keep them in step).
inline constexpr FormatInfo kFormats[kNumQuantBits] = {
    {QuantBits::b1, "1", 1.0, 1, 32, 2, 0.5},
    {QuantBits::b1_58, "1.58", 1.58, 2, 16, 3, 0.5},
    {QuantBits::b2, "2", 2.0, 2, 16, 4, 0.5},
    {QuantBits::b3, "3", 3.0, 3, 10, 8, 0.5},
    {QuantBits::b4, "4", 4.0, 4, 8, 16, 0.5},
    {QuantBits::b8, "8", 8.0, 8, 4, 256, 0.5},
    {QuantBits::b16, "16", 16.0, 16, 2, 0, 0.0},
};

constexpr const FormatInfo& format_info(QuantBits bits) { return kFormats[static_cast<int>(bits)]; }

static_assert(kFormats[0].bits == QuantBits::b1 && kFormats[1].bits == QuantBits::b1_58 &&
              kFormats[2].bits == QuantBits::b2 && kFormats[3].bits == QuantBits::b3 &&
              kFormats[4].bits == QuantBits::b4 && kFormats[5].bits == QuantBits::b8 &&
              kFormats[6].bits == QuantBits::b16,
              "kFormats rows must follow QuantBits order");
static_assert(kFormats[3].codes_per_word == 10, "3-bit: 10 codes per word, top 2 bits zero");

// Ternary packed densely as 20 trits per word (3^20 < 2^32): 1.6 bits per element.
inline constexpr int kTritsPerWord = 20;

// "2" -> b2, "1.58" -> b1_58 (also "ternary"), "16"/"fp16" -> b16; throws std::invalid_argument
// naming the accepted spellings otherwise.
QuantBits parse_quant_bits(const std::string& name);
// Integer code width for b1..b8 (b1_58 -> 2, b16 -> 16): the `bits[t]` byte of the
// token-interleaved layout.
int integer_bits(QuantBits bits);
// Inverse of integer_bits for 1, 2, 3, 4, 8, 16 (never ternary); throws otherwise.
QuantBits quant_bits_from_int(int bits);

}  // namespace wq::quant
