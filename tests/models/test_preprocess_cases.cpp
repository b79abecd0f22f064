// Preprocessing of raw uint8 frames against the checkpoints' own HF video processors on shapes
// the model fixtures do not have (tests/data/models/preprocess_cases.safetensors, made by
// scripts/golden/make_preprocess_cases.py with transformers 5.17): frames smaller and much
// larger than the model size, odd sizes, noise and a smooth gradient, bicubic and bilinear,
// through LLaVA-OneVision's fixed-size processor and Qwen2-VL's smart_resize + patches. Each
// case is checked bit for bit at 4096 stored positions, and through the sum of every value.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "vlm/models/qwen2_vl_preprocess.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/video_preprocess.h"

using namespace wq::models;

namespace {

struct Case {
  std::string name, raw, folder;
  int resample = 3;
};

std::vector<Case> cases(const SafetensorsFile& file, const std::string& list) {
  std::vector<Case> out;
  for (const nlohmann::json& entry : nlohmann::json::parse(file.header().metadata.at(list))) {
    const std::string line = entry.get<std::string>();
    // "<name>:<raw tensor>:<processor folder>:<resample>"
    const auto a = line.find(':'), b = line.find(':', a + 1), c = line.rfind(':');
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1),
                   std::stoi(line.substr(c + 1))});
  }
  return out;
}

// Our preprocessing of one case with its processor's config and resample; for Qwen2-VL the
// patch grid is checked against the processor's video_grid_thw.
at::Tensor preprocess(const SafetensorsFile& file, const Case& c) {
  const std::string folder = std::string(WQ_SOURCE_DIR) + "/" + c.folder;
  const at::Tensor raw = file.tensor(c.raw);
  if (c.name.rfind("qwen", 0) != 0) {
    VideoProcessorConfig cfg = load_video_processor_config(folder);
    cfg.resample = c.resample;
    return preprocess_video(raw, cfg);
  }
  Qwen2VLProcessorConfig cfg = load_qwen2_vl_processor_config(folder);
  cfg.base.resample = c.resample;
  const Qwen2VLVideoInput video = preprocess_qwen2_vl_video(raw, cfg);
  if (file.contains("grid_" + c.name)) {
    const at::Tensor grid = file.tensor("grid_" + c.name);
    EXPECT_EQ(video.grid.t, grid[0].item<std::int64_t>());
    EXPECT_EQ(video.grid.h, grid[1].item<std::int64_t>());
    EXPECT_EQ(video.grid.w, grid[2].item<std::int64_t>());
  }
  return video.pixel_values;
}

TEST(PreprocessCases, EveryCaseMatchesTheProcessorBitForBit) {
  const auto file = SafetensorsFile::open(std::string(WQ_TEST_DATA_DIR) + "/models/preprocess_cases.safetensors");
  const std::vector<Case> all = cases(*file, "cases"), refused = cases(*file, "refused");
  EXPECT_EQ(all.size() + refused.size(), 32u);  // 2 families x 2 resamples x 4 sizes x 2 contents
  for (const Case& c : refused) {
    SCOPED_TRACE(c.name + " (the processor refuses it)");
    EXPECT_ANY_THROW(preprocess(*file, c));
  }
  for (const Case& c : all) {
    SCOPED_TRACE(c.name);
    const at::Tensor pixels = preprocess(*file, c);
    const at::Tensor shape = file->tensor("shape_" + c.name);
    ASSERT_EQ(pixels.sizes(), at::IntArrayRef(shape.data_ptr<std::int64_t>(), shape.numel()));
    const at::Tensor flat = pixels.reshape(-1);
    const at::Tensor ours = flat.index_select(0, file->tensor("idx_" + c.name));
    EXPECT_EQ((ours - file->tensor("pixels_" + c.name)).abs().max().item<float>(), 0.0f);
    // One uint8 level after normalisation moves a value by >= 1/255/std (about 0.008 here).
    const double sum = flat.to(at::kDouble).sum().item<double>(), theirs = file->tensor("sum_" + c.name)[0].item<double>();
    EXPECT_NEAR(sum, theirs, 1e-9 * std::max(1.0, std::abs(theirs)));
  }
}

}  // namespace
