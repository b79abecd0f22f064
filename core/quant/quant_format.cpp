// Parsing of format names against the one table in quant_format.h.
#include "core/quant/quant_format.h"

#include <stdexcept>

namespace wq::quant {

QuantBits parse_quant_bits(const std::string& name) {
  for (const FormatInfo& f : kFormats) {
    if (name == f.name) return f.bits;
  }
  if (name == "ternary") return QuantBits::b1_58;
  if (name == "fp16") return QuantBits::b16;
  throw std::invalid_argument("unknown bit-width '" + name +
                              "' (expected 1, 1.58, ternary, 2, 3, 4, 8, 16 or fp16)");
}

int integer_bits(QuantBits bits) {
  switch (bits) {
    case QuantBits::b1: return 1;
    case QuantBits::b1_58: return 2;
    case QuantBits::b2: return 2;
    case QuantBits::b3: return 3;
    case QuantBits::b4: return 4;
    case QuantBits::b8: return 8;
    case QuantBits::b16: return 16;
  }
  throw std::invalid_argument("integer_bits: bad QuantBits value");
}

QuantBits quant_bits_from_int(int bits) {
  switch (bits) {
    case 1: return QuantBits::b1;
    case 2: return QuantBits::b2;
    case 3: return QuantBits::b3;
    case 4: return QuantBits::b4;
    case 8: return QuantBits::b8;
    case 16: return QuantBits::b16;
    default:
      throw std::invalid_argument("no integer format of " + std::to_string(bits) +
                                  " bits (expected 1, 2, 3, 4, 8 or 16)");
  }
}

}  // namespace wq::quant
