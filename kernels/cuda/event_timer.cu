// CUDA-event timing with L2 flushes (event_timer.cuh).
#include "kernels/cuda/event_timer.cuh"

#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/read_floor.cuh"

namespace wq::kernels {

event_timer::event_timer(cudaStream_t stream)
    : stream_(stream), flush_(size_t(256) << 20), checksum_(sizeof(uint32_t)) {
  WQ_CUDA_CHECK(cudaEventCreate(&start_));
  WQ_CUDA_CHECK(cudaEventCreate(&stop_));
}

event_timer::~event_timer() {
  cudaEventDestroy(start_);
  cudaEventDestroy(stop_);
}

double event_timer::median_us(const std::function<void()>& fn, int runs, bool flush_l2,
                              const std::function<void()>& untimed, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> times;
  for (int i = 0; i < std::max(runs, 1); ++i) {
    if (flush_l2) WQ_CUDA_CHECK(cudaMemsetAsync(flush_.get(), i & 0xFF, flush_.bytes(), stream_));
    if (untimed) untimed();
    WQ_CUDA_CHECK(cudaEventRecord(start_, stream_));
    fn();
    WQ_CUDA_CHECK(cudaEventRecord(stop_, stream_));
    WQ_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    WQ_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    times.push_back(ms * 1000.0);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double event_timer::read_floor_us(const void* data, size_t bytes) {
  const size_t n = bytes / 4 * 4;
  double best = 1e30;
  for (const int per_sm : kStreamReadGrids)
    best = std::min(best, median_us([&] { stream_read(data, n, per_sm, checksum_.as<uint32_t>(), stream_); }));
  return best;
}

}  // namespace wq::kernels
