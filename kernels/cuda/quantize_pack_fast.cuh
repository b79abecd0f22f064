// Fast paths of quantize_pack (quantize_pack_fast.cu: asymmetric min/max groups of 1/2/4/8
// bits that own whole words, fp16/bf16 input with 16-byte aligned rows) and of
// quantize_pack_interleaved (quantize_pack_interleaved.cu); bit-identical to the general kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/cuda/quantize_pack.cuh"

namespace wq::kernels::fast_pack {

// Calls fn(std::integral_constant<int, V>{}, std::bool_constant<bf16>{}) for the values per
// thread of the per-token kernels (V = 8, 16 or 32) and the input dtype.
template <class Fn>
void dispatch_unit(int values, bool bf16, Fn&& fn) {
  const auto with_values = [&](auto v) {
    if (bf16) fn(v, std::true_type{});
    else fn(v, std::false_type{});
  };
  switch (values) {
    case 8: with_values(std::integral_constant<int, 8>{}); break;
    case 16: with_values(std::integral_constant<int, 16>{}); break;
    default: with_values(std::integral_constant<int, 32>{}); break;
  }
}

// Launches the fast kernels for the tasks they take, compatible ones sharing a launch (see
// quantize_pack_many), and returns the others for the general kernels.
std::vector<const pack_task*> launch(const std::vector<const pack_task*>& tasks, input_dtype dt, cudaStream_t stream);

// Launches the fast kernel for the token-interleaved layout and returns true if it applies
// (quantize_pack_interleaved's arguments; it writes every bit of the tokens' words).
bool launch_interleaved(const void* x, input_dtype dt, int heads, int tokens, int channels, int64_t x_head_stride,
                        const uint8_t* bits, const uint32_t* word_offset, int64_t words_per_head, int group_size,
                        uint32_t* words, uint16_t* scales, uint16_t* mins, cudaStream_t stream);

}  // namespace wq::kernels::fast_pack
