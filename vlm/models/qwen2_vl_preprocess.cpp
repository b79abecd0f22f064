// Qwen2-VL video preprocessing (see qwen2_vl_preprocess.h).
#include "vlm/models/qwen2_vl_preprocess.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vlm/models/safetensors_format.h"

namespace wq::models {

using nlohmann::json;

Qwen2VLProcessorConfig parse_qwen2_vl_processor_config(std::string_view json_text,
                                                       const std::string& file) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw_checkpoint_error(file, "", "processor config is not a JSON object");
  Qwen2VLProcessorConfig c;
  try {
    if (auto size = doc.find("size"); size != doc.end() && size->is_object()) {
      c.min_pixels = size->value("shortest_edge", c.min_pixels);
      c.max_pixels = size->value("longest_edge", c.max_pixels);
    }
    c.min_pixels = doc.value("min_pixels", c.min_pixels);
    c.max_pixels = doc.value("max_pixels", c.max_pixels);
    c.patch_size = doc.value("patch_size", c.patch_size);
    c.temporal_patch_size = doc.value("temporal_patch_size", c.temporal_patch_size);
    c.merge_size = doc.value("merge_size", c.merge_size);
    if (auto cap = doc.find("cap_pixels_per_frame");
        cap != doc.end() && cap->is_boolean() && cap->get<bool>())
      throw_checkpoint_error(file, "", "cap_pixels_per_frame is not supported");
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("bad processor config: ") + e.what());
  }
  if (c.patch_size <= 0 || c.temporal_patch_size <= 0 || c.merge_size <= 0 ||
      c.min_pixels <= 0 || c.max_pixels < c.min_pixels)
    throw_checkpoint_error(file, "", "patch sizes and pixel bounds must be positive, min <= max");
  // The shared parser reads the common fields; its `size` is the fixed-size kind, and the
  // class defaults that differ from its own (CLIP mean/std) are filled in first.
  doc.erase("size");
  if (!doc.contains("image_mean")) doc["image_mean"] = {0.48145466, 0.4578275, 0.40821073};
  if (!doc.contains("image_std")) doc["image_std"] = {0.26862954, 0.26130258, 0.27577711};
  c.base = parse_video_processor_config(doc.dump(), file);
  return c;
}

Qwen2VLProcessorConfig load_qwen2_vl_processor_config(const std::string& folder) {
  const auto [text, path] = read_processor_config_file(folder);
  return parse_qwen2_vl_processor_config(text, path);
}

std::pair<std::int64_t, std::int64_t> smart_resize(std::int64_t height, std::int64_t width,
                                                   std::int64_t factor, std::int64_t min_pixels,
                                                   std::int64_t max_pixels) {
  TORCH_CHECK(height > 0 && width > 0 && factor > 0, "smart_resize: sizes must be positive");
  const double h = static_cast<double>(height), w = static_cast<double>(width);
  const double f = static_cast<double>(factor);
  TORCH_CHECK(std::max(h, w) / std::min(h, w) <= 200,
              "smart_resize: absolute aspect ratio must be smaller than 200, got ", height, "x", width);
  // Python's round() rounds half to even, as nearbyint does in the default rounding mode.
  auto h_bar = static_cast<std::int64_t>(std::nearbyint(h / f)) * factor;
  auto w_bar = static_cast<std::int64_t>(std::nearbyint(w / f)) * factor;
  if (h_bar * w_bar > max_pixels) {
    const double beta = std::sqrt(h * w / static_cast<double>(max_pixels));
    h_bar = std::max(factor, static_cast<std::int64_t>(std::floor(h / beta / f)) * factor);
    w_bar = std::max(factor, static_cast<std::int64_t>(std::floor(w / beta / f)) * factor);
  } else if (h_bar * w_bar < min_pixels) {
    const double beta = std::sqrt(static_cast<double>(min_pixels) / (h * w));
    h_bar = static_cast<std::int64_t>(std::ceil(h * beta / f)) * factor;
    w_bar = static_cast<std::int64_t>(std::ceil(w * beta / f)) * factor;
  }
  return {h_bar, w_bar};
}

Qwen2VLVideoInput preprocess_qwen2_vl_video(const at::Tensor& frames,
                                            const Qwen2VLProcessorConfig& c) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(0) > 0,
              "preprocess_qwen2_vl_video: frames must be [frames, height, width, 3], got ",
              frames.sizes());
  VideoProcessorConfig resize = c.base;
  resize.height = frames.size(1);
  resize.width = frames.size(2);
  if (c.base.do_resize)
    std::tie(resize.height, resize.width) =
        smart_resize(frames.size(1), frames.size(2), c.factor(), c.min_pixels, c.max_pixels);
  TORCH_CHECK(resize.height % c.factor() == 0 && resize.width % c.factor() == 0,
              "preprocess_qwen2_vl_video: frames of ", resize.height, "x", resize.width,
              " are not multiples of ", c.factor(), " (do_resize is off)");
  at::Tensor x = preprocess_video(frames, resize);  // [F, C, H, W]
  const auto tp = c.temporal_patch_size, p = c.patch_size, m = c.merge_size;
  if (const auto pad = (tp - x.size(0) % tp) % tp; pad > 0)
    x = torch::cat({x, x.slice(0, -1).expand({pad, -1, -1, -1})}, 0);
  const auto C = x.size(1);
  VideoGrid grid{x.size(0) / tp, resize.height / p, resize.width / p};
  // [t, tp, C, h/m, m, p, w/m, m, p] -> [t, h/m, w/m, m, m, C, tp, p, p]: patches in merge-block
  // order, each flattened channel-major then temporal, as the processor's patchify does.
  x = x.reshape({grid.t, tp, C, grid.h / m, m, p, grid.w / m, m, p})
          .permute({0, 3, 6, 4, 7, 2, 1, 5, 8})
          .reshape({grid.patches(), C * tp * p * p});
  return {x.contiguous(), grid};
}

double second_per_grid(double sampled_fps, const Qwen2VLProcessorConfig& c) {
  TORCH_CHECK(sampled_fps > 0, "second_per_grid: fps must be positive");
  return static_cast<double>(c.temporal_patch_size) / sampled_fps;
}

}  // namespace wq::models
