// How every GPU benchmark of the project times a kernel (the GPU bench and the `kernel_perf`
// experiment share it, so their numbers mean the same): warm-up runs, then CUDA events around
// each run on one stream, the L2 cache flushed before each run (a 2-bit cache of a short
// sequence fits in the 50 MB L2 and would otherwise be timed from cache), median reported.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <functional>

#include "kernels/cuda/device_cache.cuh"

namespace wq::kernels {

class event_timer {
 public:
  explicit event_timer(cudaStream_t stream);
  ~event_timer();
  event_timer(const event_timer&) = delete;
  event_timer& operator=(const event_timer&) = delete;

  // Median microseconds of fn over `runs` timed runs after `warmup` untimed ones; the L2 is
  // flushed before each timed run unless !flush_l2; `untimed` runs after the flush and before
  // the timed region (e.g. to warm only the code path).
  double median_us(const std::function<void()>& fn, int runs = 40, bool flush_l2 = true,
                   const std::function<void()>& untimed = {}, int warmup = 3);

  // What merely reading `bytes` of `data` costs (read_floor.cuh): the best of its grids, each
  // timed like median_us with its defaults. bytes is rounded down to a multiple of 4.
  double read_floor_us(const void* data, size_t bytes);

  cudaStream_t stream() const { return stream_; }

 private:
  cudaStream_t stream_;
  device_buffer flush_;  // larger than any L2 of the GPUs we target
  device_buffer checksum_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace wq::kernels
