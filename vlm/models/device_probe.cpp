// LibTorch's answer to "can this process run on that device?" for config validation
// (core/config/device_check.h).
#include <torch/torch.h>

#include <string>

#include "core/config/device_check.h"

namespace wq::models {
namespace {

std::string cuda_unusable(const std::string& device) {
  if (device.rfind("cuda", 0) != 0) return "";
  if (!torch::cuda::is_available())
    return "no CUDA device here (LibTorch without CUDA, or no GPU visible)";
  if (device.size() > 5 && device[4] == ':') {
    const long index = std::strtol(device.c_str() + 5, nullptr, 10);
    const auto count = static_cast<long>(torch::cuda::device_count());
    if (index < 0 || index >= count) return device + " but " + std::to_string(count) + " GPU(s) are visible";
  }
  return "";
}

const bool registered = (register_device_probe(cuda_unusable), true);

}  // namespace
}  // namespace wq::models
