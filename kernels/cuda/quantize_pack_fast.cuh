// Fast paths of quantize_pack (quantize_pack_fast.cu): asymmetric min/max groups of 1/2/4/8
// bits that own whole words, fp16/bf16 input; bit-identical to the general kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/quantize_pack.cuh"

namespace wq::kernels::fast_pack {

// Launches the fast path for (spec, input) if one applies and returns true; false: the caller
// takes the general kernels. row_words / row_groups as packed_row_words / packed_row_groups.
bool launch(const pack_spec& sp, const void* x, input_dtype dt, int heads, int tokens, int channels,
            int64_t x_head_stride, int64_t row_words, int64_t row_groups, uint32_t* words, uint16_t* scales,
            uint16_t* mins, cudaStream_t stream);

// The same for the token-interleaved layout (quantize_pack_interleaved's arguments; `words`
// already zeroed).
bool launch_interleaved(const void* x, input_dtype dt, int heads, int tokens, int channels, int64_t x_head_stride,
                        const uint8_t* bits, const uint32_t* word_offset, int64_t words_per_head, int group_size,
                        uint32_t* words, uint16_t* scales, uint16_t* mins, cudaStream_t stream);

}  // namespace wq::kernels::fast_pack
