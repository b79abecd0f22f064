#include "vlm/eval/device_clock.h"

#include <fstream>
#include <string>

#include <torch/cuda.h>

#if defined(WQ_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace wq::eval {

void synchronize(const at::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

DeviceTimer::DeviceTimer(const at::Device& device) : device_(device) {
  synchronize(device_);
  start_ = std::chrono::steady_clock::now();
}

double DeviceTimer::lap_ms() {
  synchronize(device_);
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
  start_ = now;
  return ms;
}

void reset_peak_memory(const at::Device& device) {
  if (device.is_cuda()) {
#if defined(WQ_TORCH_CUDA)
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#endif
    return;
  }
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS
}

double peak_memory_bytes(const at::Device& device) {
  if (device.is_cuda()) {
#if defined(WQ_TORCH_CUDA)
    const auto stats =
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return static_cast<double>(stats.allocated_bytes[0].peak);
#else
    return 0;
#endif
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024.0;  // kB
  return 0;
}

}  // namespace wq::eval
