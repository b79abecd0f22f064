// Scalar reference dequantization of packed views.
#include "kernels/cpu/view_dequant.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/cpu/half.h"

namespace wq::kernels::cpu {

namespace {
constexpr uint32_t kPow3[20] = {1u,        3u,        9u,         27u,        81u,        243u,
                                729u,      2187u,     6561u,      19683u,     59049u,     177147u,
                                531441u,   1594323u,  4782969u,   14348907u,  43046721u,  129140163u,
                                387420489u, 1162261467u};
int codes_per_word(int storage_bits, bool base3) { return base3 ? 20 : 32 / storage_bits; }
}  // namespace

float half_bits_to_float(uint16_t bits) { return half_to_float(bits); }

float bf16_bits_to_float(uint16_t bits) {
  const uint32_t u = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t code_at(const uint32_t* row, int64_t index, int storage_bits, bool base3) {
  if (base3) return (row[index / 20] / kPow3[index % 20]) % 3u;
  const int c = 32 / storage_bits;
  return (row[index / c] >> (storage_bits * (index % c))) & ((1u << storage_bits) - 1u);
}

float dequant(uint32_t code, float scale, float min, dequant_rule rule, int storage_bits) {
  const float c = static_cast<float>(code);
  switch (rule) {
    case dequant_rule::asym: return c * scale + min;
    case dequant_rule::sym: return (c - static_cast<float>((1 << (storage_bits - 1)) - 1)) * scale;
    case dequant_rule::ternary: return (c - 1.0f) * scale;
    case dequant_rule::scale_only: return c * scale;
  }
  return 0.0f;
}

void dequantize_tensor(const tensor_view& tv, int tokens, int head_dim, int kv_head, float* out) {
  const int D = head_dim;
  switch (tv.format) {
    case tensor_format::empty: return;
    case tensor_format::dense16: {
      const auto* v = reinterpret_cast<const uint16_t*>(tv.words + kv_head * tv.head_stride_words);
      for (int64_t i = 0; i < static_cast<int64_t>(tokens) * D; ++i)
        out[i] = tv.dense_bf16 ? bf16_bits_to_float(v[i]) : half_bits_to_float(v[i]);
      return;
    }
    case tensor_format::interleaved: {
      const uint8_t* bits = tv.bits + kv_head * tv.head_stride_tokens;
      const uint32_t* offs = tv.word_offset + kv_head * tv.head_stride_tokens;
      const uint32_t* words = tv.words + kv_head * tv.head_stride_words;
      const uint16_t* sc = tv.scales + kv_head * tv.head_stride_groups;
      const uint16_t* mn = tv.mins + kv_head * tv.head_stride_groups;
      const int groups = D / tv.group_size;
      for (int t = 0; t < tokens; ++t) {
        const uint32_t* row = words + offs[t];
        for (int d = 0; d < D; ++d) {
          if (bits[t] == 16) {
            out[t * D + d] = half_bits_to_float(static_cast<uint16_t>(row[d / 2] >> (16 * (d % 2))));
            continue;
          }
          const int64_t g = static_cast<int64_t>(t) * groups + d / tv.group_size;
          out[t * D + d] = dequant(code_at(row, d, bits[t], false), half_bits_to_float(sc[g]),
                                   half_bits_to_float(mn[g]), dequant_rule::asym, bits[t]);
        }
      }
      return;
    }
    case tensor_format::packed: {
      const int c = codes_per_word(tv.storage_bits, tv.base3);
      const uint32_t* words = tv.words + kv_head * tv.head_stride_words;
      const uint16_t* sc = tv.scales + kv_head * tv.head_stride_groups;
      const uint16_t* mn = tv.mins ? tv.mins + kv_head * tv.head_stride_groups : nullptr;
      if (tv.axis == group_axis::tokens) {
        const int64_t rw = (tokens + c - 1) / c, rg = (tokens + tv.group_size - 1) / tv.group_size;
        for (int d = 0; d < D; ++d)
          for (int t = 0; t < tokens; ++t) {
            const int64_t g = d * rg + t / tv.group_size;
            out[static_cast<int64_t>(t) * D + d] =
                dequant(code_at(words + d * rw, t, tv.storage_bits, tv.base3), half_bits_to_float(sc[g]),
                        mn ? half_bits_to_float(mn[g]) : 0.0f, tv.rule, tv.storage_bits);
          }
      } else {
        const int64_t rw = (D + c - 1) / c, rg = D / tv.group_size;
        for (int t = 0; t < tokens; ++t)
          for (int d = 0; d < D; ++d) {
            const int64_t g = t * rg + d / tv.group_size;
            out[static_cast<int64_t>(t) * D + d] =
                dequant(code_at(words + t * rw, d, tv.storage_bits, tv.base3), half_bits_to_float(sc[g]),
                        mn ? half_bits_to_float(mn[g]) : 0.0f, tv.rule, tv.storage_bits);
          }
      }
      return;
    }
  }
  throw std::invalid_argument("dequantize_tensor: unknown format " + std::to_string(static_cast<int>(tv.format)));
}

}  // namespace wq::kernels::cpu
