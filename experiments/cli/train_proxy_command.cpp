#include "experiments/cli/train_proxy_command.h"

#include <cstdio>

#include "vlm/train/proxy_trainer.h"

namespace wq {

std::string run_train_proxy_command(const TrainProxyRequest& request) {
  train::ProxyTrainOptions options = train::load_proxy_train_options(request.config_path);
  if (!request.out.empty()) options.out = request.out;
  if (!request.device.empty()) options.device = request.device;
  options.call = request.call;
  const train::ProxyTrainResult result = train::train_proxy(options, [](const std::string& line) {
    std::fprintf(stderr, "[train-proxy] %s\n", line.c_str());
  });
  return result.checkpoint + ": " + std::to_string(result.steps) + " steps in " +
         std::to_string(static_cast<int>(result.seconds)) + " s, held-out letter accuracy " +
         std::to_string(result.heldout_accuracy);
}

}  // namespace wq
