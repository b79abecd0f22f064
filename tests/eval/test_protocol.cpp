// The evaluation protocol (vlm/eval) on a tiny proxy checkpoint: FP16 through the
// cached_video protocol equals one full forward over the prompt; a lossy method changes the
// query's logits under cached_video but not under full_prefill (protocol.md's reason for two
// prefills); byte and bit accounting; the prepared-sample cache; the checkpoint round trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/method/kv_method.h"
#include "datasets/mvbench/mvbench_scoring.h"
#include "datasets/synth/synth.h"
#include "proxy_fixture.h"
#include "vlm/eval/evaluator.h"
#include "vlm/eval/llava_onevision_lm.h"
#include "vlm/eval/protocol.h"
#include "vlm/models/safetensors.h"

namespace wq::eval {
namespace {

ModelOptions proxy_options() {
  ModelOptions o;
  o.path = testing::tiny_proxy_checkpoint();
  return o;
}

struct Sample {
  at::Tensor frames;
  PromptParts parts;
};

Sample sample(uint64_t index) {
  SynthOptions o;
  o.seed = 77;
  o.frames_min = o.frames_max = 32;
  o.width = o.height = 32;
  o.sample_frames = 8;
  const SynthSample s = draw_synth_sample(o, "needle", index, 1, 8);
  Sample out;
  out.frames = torch::from_blob(const_cast<uint8_t*>(s.frames.rgb.data()), {8, 32, 32, 3}, torch::kUInt8).clone();
  out.parts = mvbench_prompt(MvbenchPreset::Official, s.question, s.candidates);
  return out;
}

// Logits after the last prompt token from one forward over the whole prompt (no protocol).
at::Tensor full_forward_last_logits(const VideoLm& lm, const PreparedSample& p) {
  std::vector<int64_t> ids = p.prompt.context_ids;
  ids.insert(ids.end(), p.prompt.query_ids.begin(), p.prompt.query_ids.end());
  const auto out = lm.llm().forward(lm.embed(ids, p.video), nullptr, 0);
  return lm.llm().logits(out.hidden.select(1, out.hidden.size(1) - 1));
}

TEST(Protocol, Fp16CachedVideoEqualsOneFullForward) {
  torch::NoGradGuard no_grad;
  LlavaOnevisionLm lm(proxy_options());
  const Sample s = sample(0);
  const PreparedSample p = prepare_sample(lm, s.frames, s.parts);
  EXPECT_EQ(p.video.visual_tokens(), 8 * 4 + 1);  // 8 frames x 2x2 pooled + newline
  EXPECT_EQ(p.description.num_visual(), 33);
  EXPECT_EQ(p.description.frame_index.back(), 7);
  auto fp16 = methods::make_method("fp16");
  const at::Tensor reference = full_forward_last_logits(lm, p);
  for (Protocol protocol : {Protocol::cached_video, Protocol::full_prefill}) {
    const MethodRun run = run_method(lm, p, *fp16, protocol, 4);
    EXPECT_LT((run.first_logits - reference).abs().max().item<double>(), 1e-4);
    EXPECT_EQ(run.generated_ids.front(), reference.argmax(-1).item<int64_t>());
    EXPECT_DOUBLE_EQ(run.figures.bits_effective, 16.0);
    EXPECT_DOUBLE_EQ(run.figures.kv_bytes, run.figures.kv_fp16_bytes);
  }
}

TEST(Protocol, LossyMethodReachesTheQueryOnlyUnderCachedVideo) {
  torch::NoGradGuard no_grad;
  LlavaOnevisionLm lm(proxy_options());
  const Sample s = sample(1);
  const PreparedSample p = prepare_sample(lm, s.frames, s.parts);
  auto fp16 = methods::make_method("fp16");
  auto one_bit = methods::make_method("uniform", "{bits: 1, key_group_size: 16, value_group_size: 16}");
  const MethodRun exact = run_method(lm, p, *fp16, Protocol::cached_video, 2);
  const MethodRun cached = run_method(lm, p, *one_bit, Protocol::cached_video, 2);
  const MethodRun full = run_method(lm, p, *one_bit, Protocol::full_prefill, 2);
  EXPECT_GT((cached.first_logits - exact.first_logits).abs().max().item<double>(), 1e-3);
  EXPECT_LT((full.first_logits - exact.first_logits).abs().max().item<double>(), 1e-6);
  // Tiny cache: scales of 16-token groups and the fp16 system prompt weigh a lot.
  EXPECT_LT(cached.figures.kv_bytes, 0.9 * cached.figures.kv_fp16_bytes);
  EXPECT_GT(cached.figures.bits_effective, 1.0);
  EXPECT_LT(cached.figures.bits_effective, 8.0);
}

TEST(Protocol, TrainedCheckpointLoadsBackBitExact) {
  const models::Checkpoint ckpt = models::Checkpoint::open(testing::tiny_proxy_checkpoint());
  LlavaOnevisionLm lm(proxy_options());
  const auto named = lm.model().named_tensors();
  ASSERT_FALSE(named.empty());
  for (const auto& [name, tensor] : named) EXPECT_TRUE(torch::equal(ckpt.get(name), tensor)) << name;
  EXPECT_EQ(named.size(), ckpt.names().size());  // nothing written that the reader ignores
}

}  // namespace
}  // namespace wq::eval
