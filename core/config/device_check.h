// Whether this process can run on a device a config names ("cpu", "cuda", "cuda:1"), so that
// `wq validate` and `wq run` refuse `device: cuda` on a machine without one before anything
// runs. Core has no LibTorch: the layer that links it registers the probe
// (vlm/models/device_probe.cpp); with none registered (core-only tools) every device passes.
#pragma once

#include <string>

namespace wq {

// Returns "" when `device` can be used, otherwise why not (one line).
using DeviceProbe = std::string (*)(const std::string& device);

void register_device_probe(DeviceProbe probe);
// "" when usable (or nothing can tell), else the probe's reason.
std::string device_unusable(const std::string& device);

}  // namespace wq
