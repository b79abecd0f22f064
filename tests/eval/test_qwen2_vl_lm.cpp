// The Qwen2-VL adapter through the protocol (multimodal RoPE): the tiny golden config with
// random weights and a byte-level tokenizer whose special tokens the config points at. FP16
// under cached_video must equal one full forward at the rope index's positions, and decoding
// must continue at prompt length + delta (checked against a full forward of prompt + token).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/config/resolve_params.h"
#include "core/method/kv_method.h"
#include "test_files.h"
#include "vlm/eval/protocol.h"
#include "vlm/tokenizer/train_bpe.h"

namespace wq::eval {
namespace {

namespace fs = std::filesystem;

// Folder with the fixture's processor config, its config.json re-pointed at our tokenizer's
// special ids (256: <|endoftext|>, 257 <|im_start|>, 258 <|im_end|>, 259 <|vision_start|>,
// 260 <|vision_end|>, 261 <|video_pad|>, 262 <|image_pad|>), and that tokenizer.
std::string checkpoint_folder() {
  const fs::path fixture = fs::path(WQ_TEST_DATA_DIR) / "models/qwen2_vl/tiny";
  const fs::path dir = testing::make_temp_dir("qwen2vl-lm");
  nlohmann::json config = nlohmann::json::parse(std::ifstream(fixture / "config.json"));
  config["text_config"]["vocab_size"] = 300;
  config["video_token_id"] = 261;
  config["image_token_id"] = 262;
  config["vision_start_token_id"] = 259;
  config["vision_end_token_id"] = 260;
  std::ofstream(dir / "config.json") << config.dump();
  fs::copy_file(fixture / "video_preprocessor_config.json", dir / "video_preprocessor_config.json");
  tokenizer::BpeTrainingOptions bpe;
  bpe.merges = 0;
  bpe.special_tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>",
                        "<|vision_end|>", "<|video_pad|>", "<|image_pad|>"};
  std::ofstream(dir / "tokenizer.json") << tokenizer::train_byte_level_bpe_json({}, bpe);
  return dir.string();
}

TEST(Qwen2VLProtocol, Fp16CachedVideoAndDecodePositions) {
  torch::NoGradGuard no_grad;
  const std::string folder = checkpoint_folder();
  const Params params = resolve_params(model_param_specs(),
                                       YAML::Load("{path: '" + folder + "', random_weights: true, seed: 3}"), "model");
  const auto lm = VideoLmRegistry::instance().make("qwen2_vl", params);
  torch::manual_seed(0);
  const at::Tensor frames = torch::randint(0, 256, {4, 56, 56, 3}, torch::kLong).to(torch::kUInt8);
  const PreparedSample p = prepare_sample(*lm, frames, {"", "Question: which?", "Best option:("});
  ASSERT_EQ(p.video.temporal_groups, 2);
  ASSERT_EQ(p.video.visual_tokens(), 2 * p.video.grid_height * p.video.grid_width);
  ASSERT_EQ(p.prompt.positions.size(0), 3);
  EXPECT_NE(p.prompt.position_delta, 0);  // text after the video resumes early

  auto fp16 = methods::make_method("fp16");
  const MethodRun run = run_method(*lm, p, *fp16, Protocol::cached_video, 2);
  std::vector<int64_t> ids = p.prompt.context_ids;
  ids.insert(ids.end(), p.prompt.query_ids.begin(), p.prompt.query_ids.end());
  const auto T = static_cast<int64_t>(ids.size());
  const auto full = lm->llm().forward(lm->embed(ids, p.video), nullptr, prompt_positions(p.prompt, 0, T, at::kCPU));
  const at::Tensor last = lm->llm().logits(full.hidden.select(1, T - 1));
  EXPECT_LT((run.first_logits - last).abs().max().item<double>(), 1e-4);
  ASSERT_EQ(run.generated_ids.size(), 2u);

  // The second token comes from the first one fed back at position T + delta.
  ids.push_back(run.generated_ids[0]);
  const at::Tensor next = torch::full({3, 1, 1}, T + p.prompt.position_delta, torch::kLong);
  const at::Tensor positions = torch::cat({p.prompt.positions, next}, -1);
  const auto extended = lm->llm().forward(lm->embed(ids, p.video), nullptr, positions);
  EXPECT_EQ(lm->llm().logits(extended.hidden.select(1, T)).argmax(-1).item<int64_t>(), run.generated_ids[1]);
}

}  // namespace
}  // namespace wq::eval
