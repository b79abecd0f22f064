// The time floor of any kernel that must read a given number of bytes: a streaming read that
// computes nothing but the XOR of the words it loads (so no load can be dropped, and the result
// can be checked). Benchmarks time it at each kernel's byte count: at the sizes of a decode
// step (tens of MB) launch, ramp-up and drain keep even a pure read well below the bandwidth
// of a 1 GB copy, so "% of copy bandwidth" alone says little about what is reachable there.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace wq::kernels {

// XORs every 32-bit word of data[0, bytes) into *checksum (device; zero it first to get the
// buffer's checksum). data 16-byte aligned, bytes a multiple of 4, blocks_per_sm 1..64
// (std::invalid_argument otherwise): grid = SMs · blocks_per_sm blocks of 512 threads,
// grid-stride, eight 16-byte loads in flight per thread. Asynchronous on `stream`.
void stream_read(const void* data, size_t bytes, int blocks_per_sm, uint32_t* checksum, cudaStream_t stream);

// The grids a floor is the best of (blocks per SM): which one wins depends on the size.
inline constexpr int kStreamReadGrids[] = {2, 4, 8, 16};

}  // namespace wq::kernels
