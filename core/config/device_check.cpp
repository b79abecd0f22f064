#include "core/config/device_check.h"

namespace wq {
namespace {

DeviceProbe& registered_probe() {
  static DeviceProbe probe = nullptr;
  return probe;
}

}  // namespace

void register_device_probe(DeviceProbe probe) { registered_probe() = probe; }

std::string device_unusable(const std::string& device) {
  const DeviceProbe probe = registered_probe();
  return probe ? probe(device) : std::string();
}

}  // namespace wq
