// QuantSpec: everything needed to quantize one [tokens][channels] matrix (one layer, one KV
// head). The spec is plain data; core/quant/quantize.h applies it.
#pragma once

#include <string>

#include "core/quant/quant_format.h"
#include "kernels/kv_view.h"

namespace wq::quant {

// The axis a group runs ALONG (design.md wording).
//  tokens:   a group is `group_size` consecutive tokens of one channel. This is what KIVI
//            calls "per-channel" quantization (its keys). Layout: channel-major codes.
//  channels: a group is `group_size` consecutive channels of one token. KIVI's "per-token"
//            quantization (its values). Layout: token-major codes.
// One definition for core and kernels: the kernels' layout enum (kernels/kv_view.h).
using GroupAxis = kernels::group_axis;

// Optional transform along the channel axis, applied before quantization and inverted
// after dequantization.
//  none
//  hadamard:     orthonormal Walsh-Hadamard (D a power of two); D stored channels.
//  fft_channels: complex FFT (unnormalised, torch.fft.fft's default) of the D channels of a
//                token; stored as 2D reals [re_0..re_{D-1}, im_0..im_{D-1}]; inverse is
//                ifft(...).real (VidKV's normal key channels).
enum class Transform : uint8_t { none = 0, hadamard = 1, fft_channels = 2 };

// How ternary codes are stored (docs/packing.md): 2-bit slots (2 bits/element) or base-3
// words of 20 trits (1.6 bits/element).
enum class TernaryStorage : uint8_t { slots2 = 0, base3 = 1 };

// 1-bit rule.
//  minmax:        asymmetric min/max like every other width: scale = max - min, code =
//                 round((x - min) / scale) in {0, 1}, x̂ = code·scale + min (min stored).
//  sign_meanabs:  VidKV: code = (x >= 0), scale = mean|x| of the group, no min stored,
//                 x̂ = code·scale ∈ {0, +scale} (the paper's Eq. 5 as written).
enum class OneBitRule : uint8_t { minmax = 0, sign_meanabs = 1 };

// Ternary scale rule (the threshold is always gamma · mean|x| of the group).
//  mean_abs_nonzero: scale = mean |x| over the elements whose code is ±1 (TWN rule);
//                    0 if there are none.
//  mean_abs:         scale = mean |x| over the whole group.
//  max_abs:          scale = max |x| of the group.
//  unit:             scale = 1: reproduces a dequantizer that returns raw {-1, 0, +1}
//                    (VidKV code's defect, for `variant: code`).
enum class TernaryScaleRule : uint8_t { mean_abs_nonzero = 0, mean_abs = 1, max_abs = 2, unit = 3 };

// Arithmetic used to compute codes.
//  fp32: scale/min are computed in fp32, rounded to fp16 for storage, and codes are computed
//        against the rounded fp16 values (so the dequantizer's error stays within half a step
//        plus fp16 rounding).
//  fp16: emulates KIVI's torch half arithmetic op by op (each result rounded to fp16):
//        mn, mx in fp16; scale = h((mx - mn)) / (2^b - 1) rounded; codes =
//        round(clamp(h(h(x - mn) / scale), 0, 2^b - 1)). For bit-exact KIVI fixtures.
enum class ComputeMode : uint8_t { fp32 = 0, fp16 = 1 };

struct TernaryParams {
  float gamma = 0.7f;  // dead zone: |x| <= gamma · mean|x| -> 0 (paper 0.7, VidKV code 0.5)
  TernaryScaleRule scale_rule = TernaryScaleRule::mean_abs_nonzero;
};

struct QuantSpec {
  QuantBits bits = QuantBits::b16;
  int group_size = 32;              // elements per group along `axis`; ignored for b16
  GroupAxis axis = GroupAxis::channels;
  bool symmetric = false;           // b2..b8 only: s = max|x| / (2^(b-1) - 1), no min
  Transform transform = Transform::none;
  TernaryStorage ternary_storage = TernaryStorage::slots2;
  OneBitRule one_bit_rule = OneBitRule::minmax;
  TernaryParams ternary;
  ComputeMode compute = ComputeMode::fp32;
};

// True when the format stores an fp16 min per group: asymmetric b1 (minmax) .. b8.
// Ternary, symmetric, 1-bit sign_meanabs and b16 store none.
bool stores_min(const QuantSpec& spec);
// True when the format stores an fp16 scale per group (everything but b16).
bool stores_scale(const QuantSpec& spec);
// Bits per stored element as packed: 32 / codes_per_word (e.g. 3.2 for 3-bit, 1.6 for
// base-3 ternary, 2 for ternary slots, 16 for b16). Ignores padding of the last word.
double packed_bits_per_code(const QuantSpec& spec);
// Codes per uint32 word for this spec (20 for base-3 ternary, else the table's column).
int codes_per_word(const QuantSpec& spec);
// Stored channels for `channels` input channels (2·D for fft_channels).
int stored_channels(const QuantSpec& spec, int channels);

// Throws std::invalid_argument with a readable message for contradictory specs
// (symmetric 1-bit or ternary, group_size < 1, sign_meanabs with bits != 1, ...).
void validate(const QuantSpec& spec);

// "2b g32 axis=tokens asym" style one-liner for logs and error messages.
std::string to_string(const QuantSpec& spec);

// Convenience constructors for the common cases.
QuantSpec uniform_spec(QuantBits bits, int group_size, GroupAxis axis, bool symmetric = false);
QuantSpec fp16_spec();

}  // namespace wq::quant
