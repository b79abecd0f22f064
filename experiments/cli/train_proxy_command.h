// `wq train-proxy CONFIG [--out DIR] [--device D] [--resume] [--time-limit-s S] [--max-steps N]`:
// trains the proxy VLM (vlm/train), in one call or in several that resume each other.
#pragma once

#include <string>

#include "vlm/train/proxy_options.h"

namespace wq {

struct TrainProxyRequest {
  std::string config_path;
  std::string out, device;     // empty: the config's
  train::ProxyCallOptions call;
};

// Prints progress on stderr; returns a one-line summary (steps, time, held-out accuracy).
std::string run_train_proxy_command(const TrainProxyRequest& request);

}  // namespace wq
