// Fast paths of quantize_pack (quantize_pack_fast.cu: asymmetric min/max groups of 1/2/4/8
// bits that own whole words, fp16/bf16 input with 16-byte aligned rows) and of
// quantize_pack_interleaved (quantize_pack_interleaved.cu); bit-identical to the general kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "kernels/cuda/quantize_pack.cuh"

namespace wq::kernels::fast_pack {

// Launches the fast kernels for the tasks they take, compatible ones sharing a launch (see
// quantize_pack_many), and returns the others for the general kernels.
std::vector<const pack_task*> launch(const std::vector<const pack_task*>& tasks, input_dtype dt, cudaStream_t stream);

// Launches the fast kernel for the token-interleaved layout and returns true if it applies
// (quantize_pack_interleaved's arguments; it writes every bit of the tokens' words).
bool launch_interleaved(const void* x, input_dtype dt, int heads, int tokens, int channels, int64_t x_head_stride,
                        const uint8_t* bits, const uint32_t* word_offset, int64_t words_per_head, int group_size,
                        uint32_t* words, uint16_t* scales, uint16_t* mins, cudaStream_t stream);

}  // namespace wq::kernels::fast_pack
