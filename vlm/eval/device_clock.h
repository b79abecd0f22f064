// Wall-clock timing and peak memory of one device, so that CUDA work is measured after it
// finishes (the host returns from a launch at once) and peaks are per sample.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>

#include "core/method/compress.h"

namespace wq::eval {

// Waits for the device's queued work (no-op on the CPU).
void synchronize(const at::Device& device);

// The compress pipeline reads it between its phases, so GPU work is inside its timings.
class DeviceTimer : public methods::LapClock {
 public:
  explicit DeviceTimer(const at::Device& device);
  // Milliseconds since construction or the last lap, after synchronising the device.
  double lap_ms() override;

 private:
  at::Device device_;
  std::chrono::steady_clock::time_point start_;
};

// Peak memory since reset: the CUDA caching allocator's peak allocated bytes on a GPU, the
// process's peak resident set (VmHWM, reset through /proc/self/clear_refs) on the CPU.
void reset_peak_memory(const at::Device& device);
double peak_memory_bytes(const at::Device& device);

}  // namespace wq::eval
