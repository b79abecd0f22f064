// Qwen2-VL and Qwen2.5-VL against transformers 5.17 (tests/data/models/<family>/tiny, see
// tests/data/models/README.md), both families through one parameterised suite: multimodal
// rope index equal, video embeddings, logits and per-layer K/V within 1e-4 (fp32, CPU), greedy
// continuation identical, preprocessing of the stored raw frames against the processor.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_mode.h"

#include <filesystem>
#include <fstream>

#include "vlm/models/qwen2_vl.h"
#include "vlm/models/safetensors.h"

using namespace wq::models;
namespace fs = std::filesystem;

namespace {

std::string tiny_dir(const std::string& family) {
  return std::string(WQ_TEST_DATA_DIR) + "/models/" + family + "/tiny";
}

struct Fixture {
  explicit Fixture(const std::string& family)
      : model(Qwen2VL::load(tiny_dir(family), wq::testing::golden_load_options())),
        golden(SafetensorsFile::open(tiny_dir(family) + "/golden.safetensors")) {}
  Qwen2VL model;
  std::shared_ptr<const SafetensorsFile> golden;

  at::Tensor get(const std::string& name) const { return golden->tensor(name); }
  VideoGrid grid() const {
    const at::Tensor g = get("video_grid_thw")[0];
    return {g[0].item<std::int64_t>(), g[1].item<std::int64_t>(), g[2].item<std::int64_t>()};
  }
  double second_per_grid_t() const {
    return golden->contains("second_per_grid_ts") ? get("second_per_grid_ts")[0].item<double>() : 1.0;
  }
  at::Tensor prompt_embeds() const {
    return model.embed_prompt(get("input_ids"),
                              model.video_embeddings(get("pixel_values_videos"), grid()));
  }
};

const Fixture& fixture(const std::string& family) {
  static const Fixture qwen2_vl("qwen2_vl"), qwen2_5_vl("qwen2_5_vl");
  return family == "qwen2_vl" ? qwen2_vl : qwen2_5_vl;
}

std::vector<std::int64_t> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

class Qwen2VLGolden : public ::testing::TestWithParam<std::string> {
 protected:
  const Fixture& f() const { return fixture(GetParam()); }
};

}  // namespace

TEST_P(Qwen2VLGolden, RopeIndexMatches) {
  const RopeIndex rope = f().model.rope_index(f().get("input_ids"), f().grid(), f().second_per_grid_t());
  EXPECT_TRUE(torch::equal(rope.positions, f().get("position_ids")));
  EXPECT_EQ(rope.delta, f().get("rope_delta")[0].item<std::int64_t>());
}

// A long video with little text after it: on Qwen2.5-VL its temporal positions (time index x
// tokens_per_second x whole seconds per grid) pass the last prompt position, and generation
// continues after the last prompt position (transformers 5's generate), not after the maximum.
TEST_P(Qwen2VLGolden, GenerationContinuesAfterTheLastPromptPosition) {
  const Qwen2VLConfig& c = f().model.config();
  const VideoGrid grid{8, 4, 10};  // 8 temporal groups of 2 x 5 merged tokens
  std::vector<std::int64_t> ids = {1, 2};
  ids.insert(ids.end(), f().model.video_token_count(grid), c.video_token_id);
  ids.insert(ids.end(), {3, 4, 5});
  const auto T = static_cast<std::int64_t>(ids.size());
  const RopeIndex rope = f().model.rope_index(torch::tensor(ids).unsqueeze(0), grid, 2.0);
  const at::Tensor rows = rope.positions.select(1, 0);
  // Text after the video starts max(rows, cols) = 5 past where the video starts (2).
  EXPECT_EQ(rows[0][T - 3].item<std::int64_t>(), 7);
  EXPECT_EQ(rows[0][T - 1].item<std::int64_t>(), 9);
  EXPECT_EQ(rope.generation_delta, 9 + 1 - T);
  const std::int64_t temporal_max = 2 + 7 * (c.is_2_5 ? c.vision.tokens_per_second * 2 : 1);
  EXPECT_EQ(rope.delta, std::max<std::int64_t>(temporal_max, 9) + 1 - T);
  if (c.is_2_5) EXPECT_GT(rope.delta, rope.generation_delta);  // 2 + 7 x 6 = 44 > 9
  else EXPECT_EQ(rope.delta, rope.generation_delta);
}

TEST_P(Qwen2VLGolden, VideoEmbeddingsMatch) {
  EXPECT_EQ(f().model.video_token_count(f().grid()), f().get("video_embeds").size(0));
  at::Tensor video = f().model.video_embeddings(f().get("pixel_values_videos"), f().grid());
  EXPECT_LE(wq::testing::golden_excess(video, f().get("video_embeds")), 0.0);
}

TEST_P(Qwen2VLGolden, LogitsKvAndGreedyMatch) {
  const at::Tensor embeds = f().prompt_embeds();
  const RopeIndex rope = f().model.rope_index(f().get("input_ids"), f().grid(), f().second_per_grid_t());
  const Qwen2Decoder& llm = f().model.llm();
  ForwardResult out = llm.forward(embeds, nullptr, rope.positions);
  EXPECT_LE(wq::testing::golden_excess(llm.logits(out.hidden), f().get("logits")), 0.0);
  for (std::size_t i = 0; i < out.kv.size(); ++i) {
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].keys, f().get("k_" + std::to_string(i))), 0.0) << i;
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].values, f().get("v_" + std::to_string(i))), 0.0) << i;
  }
  const at::Tensor expected = f().get("greedy");
  wq::testing::expect_golden_greedy(f().model.greedy_generate(embeds, rope, expected.size(0)), expected);
}

// From the uint8 frames through our processor, the vision tower and the decoder: the logits
// and greedy ids of transformers' run from its own processor's output.
TEST_P(Qwen2VLGolden, LogitsAndGreedyFromRawFramesMatch) {
  const Qwen2VLVideoInput video =
      preprocess_qwen2_vl_video(f().get("raw_frames"), load_qwen2_vl_processor_config(tiny_dir(GetParam())));
  const at::Tensor embeds =
      f().model.embed_prompt(f().get("input_ids"), f().model.video_embeddings(video.pixel_values, video.grid));
  const RopeIndex rope = f().model.rope_index(f().get("input_ids"), video.grid, f().second_per_grid_t());
  const Qwen2Decoder& llm = f().model.llm();
  EXPECT_LE(wq::testing::golden_excess(llm.logits(llm.forward(embeds, nullptr, rope.positions).hidden), f().get("logits")),
            0.0);
  const at::Tensor expected = f().get("greedy");
  wq::testing::expect_golden_greedy(f().model.greedy_generate(embeds, rope, expected.size(0)), expected);
}

TEST_P(Qwen2VLGolden, PreprocessingMatchesProcessor) {
  const Qwen2VLProcessorConfig cfg = load_qwen2_vl_processor_config(tiny_dir(GetParam()));
  EXPECT_EQ(cfg.min_pixels, 28 * 28 * 4);
  EXPECT_EQ(cfg.max_pixels, 28 * 28 * 16);
  EXPECT_DOUBLE_EQ(cfg.base.mean[0], 0.48145466);
  const Qwen2VLVideoInput ours = preprocess_qwen2_vl_video(f().get("raw_frames"), cfg);
  EXPECT_EQ(std::vector<std::int64_t>({ours.grid.t, ours.grid.h, ours.grid.w}),
            to_vector(f().get("video_grid_thw")[0]));
  // Bit for bit (70x130 -> 56x140: one axis down, one up), as for LLaVA-OneVision.
  EXPECT_EQ((ours.pixel_values - f().get("pixel_values_videos")).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(ours.pixel_values, f().get("pixel_values_videos")));
}

TEST_P(Qwen2VLGolden, SmartResizeMatchesTransformers) {
  const at::Tensor cases = f().get("smart_resize_cases");  // h, w, factor, min, max -> h, w
  for (std::int64_t i = 0; i < cases.size(0); ++i) {
    const auto c = to_vector(cases[i]);
    EXPECT_EQ(smart_resize(c[0], c[1], c[2], c[3], c[4]), std::make_pair(c[5], c[6]))
        << c[0] << "x" << c[1];
  }
}

TEST_P(Qwen2VLGolden, EqualRopeRowsArePlainRope) {
  const at::Tensor embeds = f().prompt_embeds();
  const auto T = embeds.size(1);
  const at::Tensor plain = torch::arange(T, torch::kLong).unsqueeze(0);
  const ForwardResult a = f().model.llm().forward(embeds, nullptr, plain.unsqueeze(0).expand({3, 1, T}));
  const ForwardResult b = f().model.llm().forward(embeds, nullptr, 0);
  EXPECT_TRUE(torch::equal(a.hidden, b.hidden));
  EXPECT_TRUE(torch::equal(a.kv[0].keys, b.kv[0].keys));
}

TEST_P(Qwen2VLGolden, PlaceholderCountMismatchIsAnError) {
  const at::Tensor video = f().model.video_embeddings(f().get("pixel_values_videos"), f().grid());
  EXPECT_THROW(f().model.embed_prompt(f().get("input_ids"), video.slice(0, 1)), c10::Error);
  const at::Tensor ids = f().get("input_ids");
  EXPECT_THROW(f().model.rope_index(ids.slice(1, 0, ids.size(1) - 10), f().grid()), c10::Error);
}

TEST_P(Qwen2VLGolden, RandomWeightsAtConfigSize) {
  const auto& c = f().model.config();
  Qwen2VL m = Qwen2VL::random(c, {}, 5);
  at::Tensor video = m.video_embeddings(torch::randn({8 * 4, 1176}), VideoGrid{2, 4, 4});
  EXPECT_EQ(video.sizes(), at::IntArrayRef({8, c.text.hidden_size}));
  EXPECT_TRUE(torch::isfinite(video).all().item<bool>());
}

INSTANTIATE_TEST_SUITE_P(Families, Qwen2VLGolden, ::testing::Values("qwen2_vl", "qwen2_5_vl"));

TEST(Qwen2VLWindows, LayoutOfTheFixtureGrid) {
  // 4 x 10 patches -> 2 x 5 merged tokens; 56 px windows hold 2 x 2 merged tokens: per frame
  // windows of 4, 4 and 2 tokens (16, 16, 8 patches), the padded empty ones dropped.
  const VisionWindows w = vision_windows(VideoGrid{2, 4, 10}, 2, 56, 14);
  EXPECT_EQ(w.index, (std::vector<std::int64_t>{0, 1, 5, 6, 2, 3, 7, 8, 4, 9,
                                                10, 11, 15, 16, 12, 13, 17, 18, 14, 19}));
  EXPECT_EQ(w.cu_seqlens, (std::vector<std::int64_t>{0, 16, 32, 40, 56, 72, 80}));
}

namespace {

// A copy of a fixture folder whose model.safetensors header has `from` replaced by `to` (same
// length, so offsets stay valid).
fs::path edited_copy(const std::string& family, const std::string& from, const std::string& to) {
  const fs::path dir = fs::temp_directory_path() / ("wq_qwen2_vl_" + family + "_" + to);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(tiny_dir(family))) fs::copy(e.path(), dir / e.path().filename());
  const fs::path file = dir / "model.safetensors";
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto at = bytes.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(from.size(), to.size());
  bytes.replace(at, from.size(), to);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  return dir;
}

void expect_one_line_error(const fs::path& dir, const std::vector<std::string>& needles) {
  try {
    Qwen2VL::load(dir.string(), {});
    FAIL() << "no error thrown";
  } catch (const CheckpointError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << msg << " lacks " << n;
  }
}

}  // namespace

TEST(Qwen2VLBroken, MissingVisionTensorNamesFileAndTensor) {
  const fs::path dir = edited_copy("qwen2_5_vl", "visual.merger.ln_q.weight", "visual.merger.ln_q.weighX");
  expect_one_line_error(dir, {"model.safetensors", "'visual.merger.ln_q.weight'", "missing tensor"});
  fs::remove_all(dir);
}

TEST(Qwen2VLBroken, WrongShapeNamesFileAndTensor) {
  // patch_embed [32, 3, 2, 14, 14] stored as [32, 3, 14, 2, 14]: same bytes, wrong shape.
  const fs::path dir = edited_copy("qwen2_vl", "[32,3,2,14,14]", "[32,3,14,2,14]");
  expect_one_line_error(dir, {"model.safetensors", "'visual.patch_embed.proj.weight'", "shape mismatch"});
  fs::remove_all(dir);
}
