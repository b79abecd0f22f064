// Frame preprocessing from a checkpoint's own processor config (video_preprocessor_config.json,
// else preprocessor_config.json): resize to the configured size, rescale, normalise. The
// released LLaVA-OneVision checkpoints use 384x384, bicubic, mean = std = 0.5 (not the CLIP
// class defaults), which is why the values are always read from the checkpoint folder.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace wq::models {

struct VideoProcessorConfig {
  std::int64_t height = 384;
  std::int64_t width = 384;
  std::array<double, 3> mean{0.5, 0.5, 0.5};
  std::array<double, 3> std{0.5, 0.5, 0.5};
  double rescale_factor = 1.0 / 255.0;
  int resample = 3;  // PIL codes: 2 bilinear, 3 bicubic
  bool do_resize = true;
  bool do_rescale = true;
  bool do_normalize = true;
};

VideoProcessorConfig parse_video_processor_config(std::string_view json_text, const std::string& file);
// Reads video_preprocessor_config.json, falling back to preprocessor_config.json.
VideoProcessorConfig load_video_processor_config(const std::string& folder);
// The text and path of that file (throws CheckpointError naming the folder when neither exists).
std::pair<std::string, std::string> read_processor_config_file(const std::string& folder);

// frames: [frames, height, width, 3] uint8 RGB -> [frames, 3, cfg.height, cfg.width] fp32,
// value for value what transformers 5's torchvision processors give: the uint8 frames resized
// by PyTorch's antialiased fixed-point uint8 kernel (resize_uint8.h), then rescale and
// normalise fused as transformers fuses them, in float32.
at::Tensor preprocess_video(const at::Tensor& frames, const VideoProcessorConfig& config);

}  // namespace wq::models
