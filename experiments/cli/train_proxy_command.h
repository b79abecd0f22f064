// `wq train-proxy CONFIG [--out DIR] [--device D]`: trains the proxy VLM (vlm/train).
#pragma once

#include <string>

namespace wq {

// Overrides apply when non-empty / non-negative. Prints progress on stderr; returns a one-line summary (steps, time, held-out accuracy).
std::string run_train_proxy_command(const std::string& config_path, const std::string& out_override,
                                    const std::string& device_override, double time_limit_override);

}  // namespace wq
