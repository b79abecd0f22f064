// Video frame preprocessing (see video_preprocess.h).
#include "vlm/models/video_preprocess.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vlm/models/resize_uint8.h"
#include "vlm/models/safetensors_format.h"

namespace wq::models {

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
  at::Tensor planes = frames.permute({0, 3, 1, 2}).contiguous();  // [F, 3, H, W] uint8
  if (c.do_resize && (planes.size(2) != c.height || planes.size(3) != c.width)) {
    // The processors resize the uint8 frames (torchvision's resize on a uint8 tensor runs
    // PyTorch's fixed-point uint8 kernel), so resizing in float instead lands one level away
    // on some pixels: reproduce the uint8 kernel exactly (resize_uint8.h).
    std::vector<std::uint8_t> resized = resize_uint8_antialias(
        planes.data_ptr<std::uint8_t>(), planes.size(0) * planes.size(1), planes.size(2), planes.size(3), c.height,
        c.width, c.resample == 2 ? ResizeFilter::Bilinear : ResizeFilter::Bicubic);
    planes = torch::from_blob(resized.data(), {planes.size(0), planes.size(1), c.height, c.width}, at::kByte).clone();
  }
  at::Tensor x = planes.to(at::kFloat);
  const auto channel = [](const std::array<double, 3>& values, float factor) {
    // float32 products, as torch multiplies a float32 tensor by a Python scalar.
    return torch::tensor({static_cast<float>(values[0]) * factor, static_cast<float>(values[1]) * factor,
                          static_cast<float>(values[2]) * factor},
                         torch::TensorOptions().dtype(at::kFloat))
        .view({1, 3, 1, 1});
  };
  if (c.do_rescale && c.do_normalize) {
    // transformers fuses the two into one normalise with mean and std scaled by
    // 1 / rescale_factor (_fuse_mean_std_and_rescale_factor): (x - 255 mean) / (255 std).
    const float inverse = static_cast<float>(1.0 / c.rescale_factor);
    return ((x - channel(c.mean, inverse)) / channel(c.std, inverse)).contiguous();
  }
  if (c.do_rescale) x = x * static_cast<float>(c.rescale_factor);
  if (c.do_normalize) x = (x - channel(c.mean, 1.0f)) / channel(c.std, 1.0f);
  return x.contiguous();
}

}  // namespace wq::models
