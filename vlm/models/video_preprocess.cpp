// Video frame preprocessing (see video_preprocess.h).
#include "vlm/models/video_preprocess.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vlm/models/safetensors_format.h"

namespace wq::models {

namespace F = torch::nn::functional;
using nlohmann::json;

VideoProcessorConfig parse_video_processor_config(std::string_view json_text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("not valid JSON: ") + e.what());
  }
  VideoProcessorConfig c;
  try {
    if (auto size = doc.find("size"); size != doc.end() && size->is_object()) {
      if (size->contains("height") && size->contains("width")) {
        c.height = size->at("height").get<std::int64_t>();
        c.width = size->at("width").get<std::int64_t>();
      } else {
        throw_checkpoint_error(file, "", "'size' without height/width is not supported");
      }
    }
    auto triple = [&](const char* key, std::array<double, 3>& out) {
      auto it = doc.find(key);
      if (it == doc.end() || it->is_null()) return;
      if (it->is_number()) out.fill(it->get<double>());
      else if (it->is_array() && it->size() == 3)
        for (int i = 0; i < 3; ++i) out[i] = (*it)[i].get<double>();
      else throw_checkpoint_error(file, "", std::string("'") + key + "' must be 3 numbers");
    };
    triple("image_mean", c.mean);
    triple("image_std", c.std);
    c.rescale_factor = doc.value("rescale_factor", c.rescale_factor);
    c.resample = doc.value("resample", c.resample);
    c.do_resize = doc.value("do_resize", c.do_resize);
    c.do_rescale = doc.value("do_rescale", c.do_rescale);
    c.do_normalize = doc.value("do_normalize", c.do_normalize);
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("bad processor config: ") + e.what());
  }
  if (c.resample != 2 && c.resample != 3)
    throw_checkpoint_error(file, "", "resample " + std::to_string(c.resample) +
                                         " is not supported (2 bilinear, 3 bicubic)");
  return c;
}

std::pair<std::string, std::string> read_processor_config_file(const std::string& folder) {
  namespace fs = std::filesystem;
  for (const char* name : {"video_preprocessor_config.json", "preprocessor_config.json"}) {
    const fs::path path = fs::path(folder) / name;
    if (!fs::exists(path)) continue;
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return {text.str(), path.string()};
  }
  throw_checkpoint_error(folder, "", "no video_preprocessor_config.json or preprocessor_config.json");
}

VideoProcessorConfig load_video_processor_config(const std::string& folder) {
  const auto [text, path] = read_processor_config_file(folder);
  return parse_video_processor_config(text, path);
}

at::Tensor preprocess_video(const at::Tensor& frames, const VideoProcessorConfig& c) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(3) == 3 && frames.scalar_type() == at::kByte,
              "preprocess_video: frames must be [frames, height, width, 3] uint8, got ",
              frames.sizes(), " ", frames.scalar_type());
  at::Tensor x = frames.permute({0, 3, 1, 2}).to(at::kFloat);
  if (c.do_resize && (x.size(2) != c.height || x.size(3) != c.width)) {
    // torchvision resizes uint8 frames with PyTorch's separable uint8 kernel: a horizontal
    // pass stored as uint8 (clamped, rounded), then a vertical pass. Bicubic overshoot is
    // therefore clipped between the passes; one 2-D float resize would not clip it and
    // differs by up to ~10 levels on noisy frames. Reproduce the two passes.
    auto pass = [&](std::int64_t h, std::int64_t w) {
      auto options = F::InterpolateFuncOptions()
                         .size(std::vector<std::int64_t>{h, w})
                         .align_corners(false)
                         .antialias(true);
      if (c.resample == 3) options.mode(torch::kBicubic);
      else options.mode(torch::kBilinear);
      x = F::interpolate(x, options).clamp(0, 255).round();
    };
    if (x.size(3) != c.width) pass(x.size(2), c.width);
    if (x.size(2) != c.height) pass(c.height, c.width);
  }
  if (c.do_rescale) x = x * c.rescale_factor;
  if (c.do_normalize) {
    const auto opts = torch::TensorOptions().dtype(at::kFloat);
    at::Tensor mean = torch::tensor({c.mean[0], c.mean[1], c.mean[2]}, opts).view({1, 3, 1, 1});
    at::Tensor std = torch::tensor({c.std[0], c.std[1], c.std[2]}, opts).view({1, 3, 1, 1});
    x = (x - mean) / std;
  }
  return x.contiguous();
}

}  // namespace wq::models
