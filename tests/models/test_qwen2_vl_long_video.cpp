// Qwen2-VL and Qwen2.5-VL decoding after a long video (tests/data/models/<family>/tiny/
// long_video.safetensors, scripts/golden/make_golden_long_video.py): 24 raw frames, a
// Qwen2.5-VL second_per_grid_t of 2 (temporal positions far past the spatial ones) and three
// question tokens, recorded from transformers 5.17's generate(). From the raw frames through
// our processor and model: the prefill positions transformers used, the position of every
// decode step, the logits of every generated step (teacher-forced on transformers' ids, so a
// step's logits are checked even where an earlier step would have broken a near-tie the other
// way) and the greedy ids.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_mode.h"

#include "vlm/models/qwen2_vl.h"
#include "vlm/models/safetensors.h"

using namespace wq::models;

namespace {

class Qwen2VLLongVideo : public ::testing::TestWithParam<std::string> {};

TEST_P(Qwen2VLLongVideo, PositionsStepLogitsAndGreedyMatchGenerate) {
  const std::string dir = std::string(WQ_TEST_DATA_DIR) + "/models/" + GetParam() + "/tiny";
  const Qwen2VL model = Qwen2VL::load(dir, wq::testing::golden_load_options());
  const auto golden = SafetensorsFile::open(dir + "/long_video.safetensors");
  const at::Tensor ids = golden->tensor("input_ids");
  const double second_per_grid_t =
      golden->contains("second_per_grid_ts") ? golden->tensor("second_per_grid_ts")[0].item<double>() : 1.0;
  const Qwen2VLVideoInput video =
      preprocess_qwen2_vl_video(golden->tensor("raw_frames"), load_qwen2_vl_processor_config(dir));
  const at::Tensor grid = golden->tensor("video_grid_thw")[0];
  EXPECT_EQ(video.grid.t, grid[0].item<std::int64_t>());
  EXPECT_EQ(video.grid.h, grid[1].item<std::int64_t>());
  EXPECT_EQ(video.grid.w, grid[2].item<std::int64_t>());

  const RopeIndex rope = model.rope_index(ids, video.grid, second_per_grid_t);
  EXPECT_TRUE(torch::equal(rope.positions.select(1, 0), golden->tensor("prefill_position_ids")));
  const auto T = ids.size(1);
  const at::Tensor steps = golden->tensor("step_position_ids");  // [steps - 1, 3]
  for (std::int64_t s = 0; s < steps.size(0); ++s)
    for (std::int64_t row = 0; row < 3; ++row)
      EXPECT_EQ(steps[s][row].item<std::int64_t>(), T + rope.generation_delta + s) << "decode step " << s + 1;

  const at::Tensor embeds = model.embed_prompt(ids, model.video_embeddings(video.pixel_values, video.grid));
  const Qwen2Decoder& llm = model.llm();
  ForwardResult prefill = llm.forward(embeds, nullptr, rope.positions);
  const at::Tensor step_logits = golden->tensor("step_logits"), greedy = golden->tensor("greedy");
  at::Tensor logits = llm.logits(prefill.hidden.select(1, T - 1));
  KVLayers cache = std::move(prefill.kv);
  for (std::int64_t s = 0; s < greedy.size(0); ++s) {
    EXPECT_LE(wq::testing::golden_excess(logits[0], step_logits[s]), 0.0) << "step " << s;
    if (s + 1 < greedy.size(0))
      logits = llm.decode(greedy[s].reshape({1}).to(torch::kLong).to(embeds.device()), cache, T + rope.generation_delta + s);
  }
  wq::testing::expect_golden_greedy(model.greedy_generate(embeds, rope, greedy.size(0)), greedy);
}

INSTANTIATE_TEST_SUITE_P(Families, Qwen2VLLongVideo, ::testing::Values("qwen2_vl", "qwen2_5_vl"));

}  // namespace
