// Plain C++ reference readers of the packed views (kernels/kv_view.h): the scalar twins that
// the CUDA and vectorised CPU kernels are checked against. Host pointers only.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/kv_view.h"

namespace wq::kernels::cpu {

// Stored code `index` of a packed row: bits [b·(i % c), +b) of word i / c, or trit i % 20 of
// word i / 20 for base-3 ternary (docs/packing.md).
uint32_t code_at(const uint32_t* row, int64_t index, int storage_bits, bool base3);

// Value of a stored code under a dequant rule (scale, min already fp32).
float dequant(uint32_t code, float scale, float min, dequant_rule rule, int storage_bits);

// Dequantizes KV head `kv_head` of one tensor of a segment: out [tokens][head_dim] fp32.
void dequantize_tensor(const tensor_view& tv, int tokens, int head_dim, int kv_head, float* out);

// fp16 / bf16 bits -> fp32.
float half_bits_to_float(uint16_t bits);
float bf16_bits_to_float(uint16_t bits);

}  // namespace wq::kernels::cpu
