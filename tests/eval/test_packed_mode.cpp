// cache.mode packed on the CPU (vlm/eval/protocol.cpp + core/cache/context_attention.h): the
// model's attention reads the packed cache through the CPU kernels and must give what
// simulate mode (dense dequantized cache) gives, for every method, under both protocols:
// the same generated ids, the same first logits up to fp32 summation order, the same bytes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/method/kv_method.h"
#include "datasets/mvbench/mvbench_scoring.h"
#include "datasets/synth/synth.h"
#include "proxy_fixture.h"
#include "vlm/eval/llava_onevision_lm.h"
#include "vlm/eval/protocol.h"

namespace wq::eval {
namespace {

struct MethodCase {
  const char* name;
  const char* params;
  const char* attention_path;  // what packed mode reports for it
};

// Group sizes fit the tiny proxy's head dim 16.
const MethodCase kCases[] = {
    {"fp16", "{}", "fused"},
    {"uniform", "{bits: 2, key_group_size: 16, value_group_size: 16}", "fused"},
    {"uniform", "{bits: 3, key_group_size: 16, value_group_size: 16}", "fused"},
    {"uniform", "{bits: 1, key_group_size: 16, value_group_size: 16}", "fused"},
    {"kivi", "{bits: 2, group_size: 16, residual: 16}", "fused"},
    {"token_mixed", "{bits: [4, 2, 1], budget_bits: 6.0, group_size: 16, residual: 0}", "fused"},
    {"token_mixed", "{bits: [4, 2, 1], budget_bits: 6.0, group_size: 16, residual: 0, keys: per_token}", "fused"},
    {"windowquant", "{bits: [4, 2, 1], budget_bits: 5.0, residual: 0, key_group_size: 16, value_group_size: 16}",
     "fused"},
    {"windowquant",
     "{bits: [4, 2], budget_bits: 11.5, residual: 16, reorder: false, key_group_size: 16, value_group_size: 16}",
     "fused"},
    {"akvq_vl", "{bits: 2, group_size: 16}", "fused"},
    {"vidkv", "{key_bits: 1.5}", "dequantized"},
};

struct Prepared {
  std::unique_ptr<LlavaOnevisionLm> lm;
  PreparedSample sample;
};

const Prepared& prepared() {
  static const Prepared p = [] {
    torch::NoGradGuard no_grad;
    Prepared out;
    ModelOptions o;
    o.path = testing::tiny_proxy_checkpoint();
    out.lm = std::make_unique<LlavaOnevisionLm>(o);
    SynthOptions so;
    so.seed = 78;
    so.frames_min = so.frames_max = 32;
    so.width = so.height = 32;
    so.sample_frames = 8;
    const SynthSample s = draw_synth_sample(so, "needle", 0, 1, 8);
    const at::Tensor frames =
        torch::from_blob(const_cast<uint8_t*>(s.frames.rgb.data()), {8, 32, 32, 3}, torch::kUInt8).clone();
    out.sample = prepare_sample(*out.lm, frames, mvbench_prompt(MvbenchPreset::Official, s.question, s.candidates));
    return out;
  }();
  return p;
}

TEST(PackedMode, SameAnswersAsSimulateForEveryMethod) {
  torch::NoGradGuard no_grad;
  const Prepared& p = prepared();
  for (const MethodCase& c : kCases)
    for (Protocol protocol : {Protocol::cached_video, Protocol::full_prefill}) {
      SCOPED_TRACE(std::string(c.name) + " " + c.params + (protocol == Protocol::cached_video ? " cached" : " full"));
      auto method = methods::make_method(c.name, std::string(c.params));
      const MethodRun simulate = run_method(*p.lm, p.sample, *method, protocol, 6, cache::CacheMode::simulate);
      const MethodRun packed = run_method(*p.lm, p.sample, *method, protocol, 6, cache::CacheMode::packed);
      EXPECT_EQ(packed.generated_ids, simulate.generated_ids);
      EXPECT_EQ(packed.text, simulate.text);
      EXPECT_LT((packed.first_logits - simulate.first_logits).abs().max().item<double>(), 1e-4);
      EXPECT_EQ(simulate.figures.attention_path, "dequantized");
      EXPECT_EQ(packed.figures.attention_path, c.attention_path);
      EXPECT_DOUBLE_EQ(packed.figures.kv_bytes, simulate.figures.kv_bytes);
      EXPECT_DOUBLE_EQ(packed.figures.bits_effective, simulate.figures.bits_effective);
    }
}

TEST(PackedMode, ALossyPackedCacheReachesTheQuery) {
  // Not a no-op: 1-bit packed attention moves the answer logits as much as simulate does.
  torch::NoGradGuard no_grad;
  const Prepared& p = prepared();
  auto fp16 = methods::make_method("fp16");
  auto one_bit = methods::make_method("uniform", "{bits: 1, key_group_size: 16, value_group_size: 16}");
  const MethodRun exact = run_method(*p.lm, p.sample, *fp16, Protocol::cached_video, 1, cache::CacheMode::packed);
  const MethodRun lossy = run_method(*p.lm, p.sample, *one_bit, Protocol::cached_video, 1, cache::CacheMode::packed);
  EXPECT_GT((exact.first_logits - lossy.first_logits).abs().max().item<double>(), 1e-3);
}

}  // namespace
}  // namespace wq::eval
