// LLaVA-OneVision against transformers 5.17 (tests/data/models/llava_onevision, see its
// README): pooled video features, logits and per-layer K/V within 1e-4 (fp32, CPU), greedy
// continuation identical. Preprocessing is checked separately against the processor's own
// output for the stored raw frames.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "golden_mode.h"
#include "vlm/models/llava_onevision.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/safetensors_format.h"
#include "vlm/models/safetensors_writer.h"
#include "vlm/models/video_preprocess.h"

using namespace wq::models;

namespace {

const std::string kDir = std::string(WQ_TEST_DATA_DIR) + "/models/llava_onevision";

struct Fixture {
  LlavaOnevision model = LlavaOnevision::load(kDir, wq::testing::golden_load_options());
  std::shared_ptr<const SafetensorsFile> golden = SafetensorsFile::open(kDir + "/golden.safetensors");
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

at::Tensor golden_pixels() { return fixture().golden->tensor("pixel_values_videos")[0]; }

}  // namespace

TEST(LlavaOnevisionGolden, VideoFeaturesMatch) {
  const auto& f = fixture();
  EXPECT_EQ(f.model.tokens_per_frame(), 9);  // 5x5 patches pooled to ceil(5/2)^2
  EXPECT_EQ(f.model.video_token_count(3), 28);
  at::Tensor features = f.model.video_features(golden_pixels());
  EXPECT_LE(wq::testing::golden_excess(features, f.golden->tensor("video_features")[0]), 0.0);
}

TEST(LlavaOnevisionGolden, LogitsKvAndGreedyMatch) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  at::Tensor embeds = f.model.embed_prompt(ids, f.model.video_embeddings(golden_pixels()));
  ForwardResult out = f.model.llm().forward(embeds, nullptr, 0);
  EXPECT_LE(wq::testing::golden_excess(f.model.llm().logits(out.hidden), f.golden->tensor("logits")), 0.0);
  for (int i = 0; i < 2; ++i) {
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].keys, f.golden->tensor("k_" + std::to_string(i))), 0.0);
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].values, f.golden->tensor("v_" + std::to_string(i))), 0.0);
  }
  at::Tensor expected = f.golden->tensor("greedy");
  wq::testing::expect_golden_greedy(f.model.llm().greedy_generate(embeds, expected.size(0)), expected);
}

// From the uint8 frames through our processor, the vision tower and the decoder: the logits
// and greedy ids of transformers' run from its own processor's output
// (raw_frames_golden.safetensors, scripts/golden/make_llava_raw_frames.py).
TEST(LlavaOnevisionGolden, LogitsAndGreedyFromRawFramesMatch) {
  const auto& f = fixture();
  const auto raw_golden = SafetensorsFile::open(kDir + "/raw_frames_golden.safetensors");
  const at::Tensor pixels = preprocess_video(f.golden->tensor("raw_frames"), load_video_processor_config(kDir));
  const at::Tensor embeds = f.model.embed_prompt(f.golden->tensor("input_ids"), f.model.video_embeddings(pixels));
  const ForwardResult out = f.model.llm().forward(embeds, nullptr, 0);
  EXPECT_LE(wq::testing::golden_excess(f.model.llm().logits(out.hidden), raw_golden->tensor("logits")), 0.0);
  const at::Tensor expected = raw_golden->tensor("greedy");
  wq::testing::expect_golden_greedy(f.model.llm().greedy_generate(embeds, expected.size(0)), expected);
}

TEST(LlavaOnevisionGolden, PlaceholderCountMismatchIsAnError) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  at::Tensor video = f.model.video_embeddings(golden_pixels());
  EXPECT_THROW(f.model.embed_prompt(ids, video.slice(0, 1)), c10::Error);
}

TEST(LlavaOnevisionPreprocess, MatchesProcessorOutput) {
  const auto& f = fixture();
  const VideoProcessorConfig cfg = load_video_processor_config(kDir);
  EXPECT_EQ(cfg.height, 70);
  EXPECT_EQ(cfg.resample, 3);
  EXPECT_DOUBLE_EQ(cfg.mean[1], 0.5);
  at::Tensor ours = preprocess_video(f.golden->tensor("raw_frames"), cfg);
  at::Tensor theirs = f.golden->tensor("processed_pixel_values")[0];
  // Bit for bit: PyTorch's fixed-point uint8 resize (61x97 -> 70x70: one axis up, one down)
  // and transformers' fused rescale + normalise.
  EXPECT_EQ((ours - theirs).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(ours, theirs));
}

TEST(LlavaOnevisionRandom, RealShapesWithoutCheckpoint) {
  LlavaOnevisionConfig c = std::get<LlavaOnevisionConfig>(load_model_config(kDir).family);
  LlavaOnevision m = LlavaOnevision::random(c, {}, 3);
  at::Tensor video = m.video_embeddings(torch::randn({2, 3, 70, 70}));
  EXPECT_EQ(video.sizes(), at::IntArrayRef({19, 64}));
  EXPECT_TRUE(torch::isfinite(video).all().item<bool>());
}

// A checkpoint with one NaN weight (and one that overflows fp16) is refused at load with one
// line naming the file and the tensor, not run to accuracy 0.
TEST(LlavaOnevisionBroken, NonFiniteWeightNamesFileAndTensor) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("wq_nan_ckpt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {"config.json", "video_preprocessor_config.json", "generation_config.json"})
    fs::copy_file(kDir + "/" + name, dir / name, fs::copy_options::overwrite_existing);
  const Checkpoint source = Checkpoint::open(kDir);
  const std::string victim = "language_model.model.layers.0.mlp.down_proj.weight";
  auto write_with = [&](float value) {
    NamedTensors tensors;
    bool planted = false;
    for (const std::string& name : source.names()) {
      at::Tensor t = source.get(name).clone();
      if (name == victim) {
        t.view(-1)[3] = value;
        planted = true;
      }
      tensors.emplace_back(name, t);
    }
    ASSERT_TRUE(planted) << "no tensor " << victim;
    write_safetensors((dir / "model.safetensors").string(), tensors);
  };
  auto expect_refused = [&](const LoadOptions& options) {
    try {
      LlavaOnevision::load(dir.string(), options);
      FAIL() << "no error thrown";
    } catch (const CheckpointError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      for (const char* needle : {"model.safetensors", "layers.0.mlp.down_proj.weight", "non-finite"})
        EXPECT_NE(msg.find(needle), std::string::npos) << msg << " lacks " << needle;
    }
  };
  write_with(std::nanf(""));
  expect_refused({});
  write_with(1e6f);  // finite in fp32, inf in fp16
  EXPECT_NO_THROW(LlavaOnevision::load(dir.string(), {}));
  LoadOptions half;
  half.dtype = at::kHalf;
  expect_refused(half);
  // Each dtype's exponent mask (the host check scans raw words): -inf at bf16, NaN at fp16.
  write_with(-INFINITY);
  LoadOptions bf16;
  bf16.dtype = at::kBFloat16;
  expect_refused(bf16);
  write_with(std::nanf(""));
  expect_refused(half);
  fs::remove_all(dir);
}
