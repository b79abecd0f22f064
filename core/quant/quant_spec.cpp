// Derived properties and validation of QuantSpec.
#include "core/quant/quant_spec.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace wq::quant {

namespace {
bool is_ternary(const QuantSpec& s) { return s.bits == QuantBits::b1_58; }
bool is_sign_meanabs(const QuantSpec& s) {
  return s.bits == QuantBits::b1 && s.one_bit_rule == OneBitRule::sign_meanabs;
}
}  // namespace

bool stores_scale(const QuantSpec& spec) { return spec.bits != QuantBits::b16; }

bool stores_min(const QuantSpec& spec) {
  return spec.bits != QuantBits::b16 && !is_ternary(spec) && !spec.symmetric &&
         !is_sign_meanabs(spec);
}

int codes_per_word(const QuantSpec& spec) {
  if (is_ternary(spec) && spec.ternary_storage == TernaryStorage::base3) return kTritsPerWord;
  return format_info(spec.bits).codes_per_word;
}

double packed_bits_per_code(const QuantSpec& spec) { return 32.0 / codes_per_word(spec); }

int stored_channels(const QuantSpec& spec, int channels) {
  return spec.transform == Transform::fft_channels ? 2 * channels : channels;
}

void validate(const QuantSpec& spec) {
  if (static_cast<int>(spec.bits) >= kNumQuantBits) {
    throw std::invalid_argument("QuantSpec: bad bits value");
  }
  if (spec.bits == QuantBits::b16) return;  // passthrough: nothing else matters
  if (spec.group_size < 1) {
    throw std::invalid_argument("QuantSpec: group_size must be >= 1, got " +
                                std::to_string(spec.group_size));
  }
  if (spec.symmetric && (spec.bits == QuantBits::b1 || is_ternary(spec))) {
    throw std::invalid_argument(std::string("QuantSpec: symmetric quantization needs >= 2 bits (") +
                                format_info(spec.bits).name + " given; 1-bit has no zero level, "
                                "ternary is symmetric by construction)");
  }
  if (is_ternary(spec) && !(std::isfinite(spec.ternary.gamma) && spec.ternary.gamma >= 0.0f)) {
    throw std::invalid_argument("QuantSpec: ternary gamma must be finite and >= 0");
  }
  if (spec.compute == ComputeMode::fp16 && (spec.symmetric || is_ternary(spec) ||
                                            is_sign_meanabs(spec))) {
    throw std::invalid_argument("QuantSpec: compute fp16 (KIVI emulation) is only defined for "
                                "asymmetric min/max formats");
  }
}

std::string to_string(const QuantSpec& spec) {
  std::ostringstream os;
  os << format_info(spec.bits).name << "b";
  if (spec.bits == QuantBits::b16) return os.str();
  os << " g" << spec.group_size << " axis=" << (spec.axis == GroupAxis::tokens ? "tokens" : "channels")
     << (spec.symmetric ? " sym" : " asym");
  if (spec.transform == Transform::hadamard) os << " hadamard";
  if (spec.transform == Transform::fft_channels) os << " fft";
  if (is_ternary(spec)) {
    os << (spec.ternary_storage == TernaryStorage::base3 ? " base3" : " slots2")
       << " gamma=" << spec.ternary.gamma;
  }
  if (is_sign_meanabs(spec)) os << " sign_meanabs";
  if (spec.compute == ComputeMode::fp16) os << " fp16-compute";
  return os.str();
}

QuantSpec uniform_spec(QuantBits bits, int group_size, GroupAxis axis, bool symmetric) {
  QuantSpec s;
  s.bits = bits;
  s.group_size = group_size;
  s.axis = axis;
  s.symmetric = symmetric;
  return s;
}

QuantSpec fp16_spec() { return QuantSpec{}; }

}  // namespace wq::quant
