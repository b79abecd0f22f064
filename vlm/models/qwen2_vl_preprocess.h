// Video preprocessing of the Qwen2-VL family, as transformers' Qwen2VLVideoProcessor does it
// (Qwen2.5-VL uses the same processor): smart_resize to multiples of patch * merge within the
// checkpoint's pixel bounds, the bicubic uint8 resize, rescale and CLIP normalisation of
// video_preprocess.h, frames grouped by temporal_patch_size (an odd count repeats the last
// frame), then the flattening into patches the vision tower's Conv3d reads.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "vlm/models/video_preprocess.h"

namespace wq::models {

// One video's patch grid, the processor's video_grid_thw: temporal patches, patch rows,
// patch columns (before the 2x2 merge).
struct VideoGrid {
  std::int64_t t = 0;
  std::int64_t h = 0;
  std::int64_t w = 0;
  std::int64_t patches() const { return t * h * w; }
};

struct Qwen2VLProcessorConfig {
  // Rescale, mean/std, resample and the do_* switches; its height/width are not used.
  VideoProcessorConfig base;
  std::int64_t min_pixels = 128 * 28 * 28;  // size.shortest_edge (or min_pixels)
  std::int64_t max_pixels = 768 * 28 * 28;  // size.longest_edge (or max_pixels)
  std::int64_t patch_size = 14;
  std::int64_t temporal_patch_size = 2;
  std::int64_t merge_size = 2;
  std::int64_t factor() const { return patch_size * merge_size; }
};

// Missing fields take Qwen2VLVideoProcessor's class defaults (CLIP mean/std, bicubic, the
// pixel bounds above); `min_pixels` / `max_pixels` override `size` as in its constructor.
Qwen2VLProcessorConfig parse_qwen2_vl_processor_config(std::string_view json_text,
                                                       const std::string& file);
// video_preprocessor_config.json, falling back to preprocessor_config.json (the released
// checkpoints ship only the image processor's file, which the video processor then reads).
Qwen2VLProcessorConfig load_qwen2_vl_processor_config(const std::string& folder);

// transformers' smart_resize: (height, width) rounded (half to even, like Python's round) to
// multiples of `factor`, scaled down or up to keep the area within [min_pixels, max_pixels].
std::pair<std::int64_t, std::int64_t> smart_resize(std::int64_t height, std::int64_t width,
                                                   std::int64_t factor, std::int64_t min_pixels,
                                                   std::int64_t max_pixels);

struct Qwen2VLVideoInput {
  at::Tensor pixel_values;  // [grid.patches(), channels * temporal_patch * patch * patch] fp32
  VideoGrid grid;
};

// frames: [frames, height, width, 3] uint8 RGB (CPU) -> the processor's pixel_values_videos
// and video_grid_thw for this one video.
Qwen2VLVideoInput preprocess_qwen2_vl_video(const at::Tensor& frames,
                                            const Qwen2VLProcessorConfig& config);

// second_per_grid_t of Qwen2.5-VL's processor: seconds one temporal patch spans at the
// sampled frame rate (temporal_patch_size / fps).
double second_per_grid(double sampled_fps, const Qwen2VLProcessorConfig& config);

}  // namespace wq::models
