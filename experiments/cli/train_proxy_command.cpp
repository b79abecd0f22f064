#include "experiments/cli/train_proxy_command.h"

#include <cstdio>

#include "vlm/train/proxy_trainer.h"

namespace wq {

std::string run_train_proxy_command(const std::string& config_path, const std::string& out_override,
                                    const std::string& device_override, double time_limit_override) {
  train::ProxyTrainOptions options = train::load_proxy_train_options(config_path);
  if (!out_override.empty()) options.out = out_override;
  if (!device_override.empty()) options.device = device_override;
  if (time_limit_override >= 0) options.time_limit_s = time_limit_override;
  const train::ProxyTrainResult result = train::train_proxy(options, [](const std::string& line) {
    std::fprintf(stderr, "[train-proxy] %s\n", line.c_str());
  });
  return result.checkpoint + ": " + std::to_string(result.steps) + " steps in " +
         std::to_string(static_cast<int>(result.seconds)) + " s, held-out letter accuracy " +
         std::to_string(result.heldout_accuracy);
}

}  // namespace wq
