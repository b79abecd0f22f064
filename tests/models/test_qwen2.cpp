// Qwen2 decoder against transformers 5.17 (tests/data/models/qwen2, see its README): logits
// and per-layer K/V within 1e-4 (fp32, CPU), greedy continuation identical; and the cache
// API: split prefill over a given past equals one prefill, decode steps equal prefill rows.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "golden_mode.h"
#include "vlm/models/qwen2.h"
#include "vlm/models/safetensors.h"

using namespace wq::models;

namespace {

const std::string kDir = std::string(WQ_TEST_DATA_DIR) + "/models/qwen2";

struct Fixture {
  Qwen2Decoder model = Qwen2Decoder::load(kDir, wq::testing::golden_load_options());
  std::shared_ptr<const SafetensorsFile> golden = SafetensorsFile::open(kDir + "/golden.safetensors");
};

const Fixture& fixture() {
  static const Fixture f;  // loaded once per test binary
  return f;
}

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

}  // namespace

TEST(Qwen2Golden, LogitsAndKvMatchTransformers) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  ForwardResult out = f.model.forward(f.model.embed(ids), nullptr, 0);
  EXPECT_LE(wq::testing::golden_excess(f.model.logits(out.hidden), f.golden->tensor("logits")), 0.0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].keys, f.golden->tensor("k_" + std::to_string(i))), 0.0) << i;
    EXPECT_LE(wq::testing::golden_excess(out.kv[i].values, f.golden->tensor("v_" + std::to_string(i))), 0.0) << i;
  }
}

TEST(Qwen2Golden, GreedyContinuationIdentical) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  at::Tensor expected = f.golden->tensor("greedy");
  wq::testing::expect_golden_greedy(f.model.greedy_generate(f.model.embed(ids), expected.size(0)), expected);
}

TEST(Qwen2Cache, SplitPrefillOverGivenPastEqualsFullPrefill) {
  const auto& f = fixture();
  at::Tensor embeds = f.model.embed(f.golden->tensor("input_ids"));
  ForwardResult full = f.model.forward(embeds, nullptr, 0, /*capture_queries=*/true);
  // Context = first 9 tokens; the query part attends to the context's K/V given as "past"
  // (what simulate mode replaces with dequantized tensors).
  ForwardResult ctx = f.model.forward(embeds.slice(1, 0, 9), nullptr, 0);
  ForwardResult query = f.model.forward(embeds.slice(1, 9), &ctx.kv, 9, /*capture_queries=*/true);
  EXPECT_LE(max_abs_diff(query.hidden, full.hidden.slice(1, 9)), 1e-5);
  ASSERT_EQ(query.queries.size(), 3u);
  EXPECT_EQ(query.queries[0].sizes(), at::IntArrayRef({1, 4, 4, 16}));
  EXPECT_LE(max_abs_diff(query.queries[2], full.queries[2].slice(2, 9)), 1e-5);
  // A perturbed past changes the answer: the past really is read.
  KVLayers noisy = ctx.kv;
  for (auto& l : noisy) l.values = l.values + 0.5;
  ForwardResult q2 = f.model.forward(embeds.slice(1, 9), &noisy, 9);
  EXPECT_GT(max_abs_diff(q2.hidden, query.hidden), 1e-3);
}

TEST(Qwen2Cache, DecodeStepsMatchPrefillRows) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  at::Tensor logits = f.golden->tensor("logits");
  ForwardResult ctx = f.model.forward(f.model.embed(ids.slice(1, 0, 10)), nullptr, 0);
  KVLayers cache = ctx.kv;
  for (std::int64_t t = 10; t < 13; ++t) {
    at::Tensor step = f.model.decode(ids.select(1, t), cache, t);
    EXPECT_LE(max_abs_diff(step, logits.select(1, t)), 1e-4) << t;
  }
  EXPECT_EQ(cache[0].keys.size(2), 13);
}

// decode writes into spare room behind the cache; two copies of one cache that decode
// different tokens must each keep their own (the second to write reallocates).
TEST(Qwen2Cache, DecodedCopiesOfOneCacheStayApart) {
  const auto& f = fixture();
  at::Tensor ids = f.golden->tensor("input_ids");
  at::Tensor logits = f.golden->tensor("logits");
  KVLayers a = f.model.forward(f.model.embed(ids.slice(1, 0, 10)), nullptr, 0).kv;
  f.model.decode(ids.select(1, 10), a, 10);
  ASSERT_TRUE(a[0].room);
  KVLayers b = a;
  f.model.decode(ids.select(1, 11), a, 11);
  const at::Tensor other = ids.select(1, 12);  // b takes a different token at position 11
  at::Tensor b_step = f.model.decode(other, b, 11);
  at::Tensor b_ids = torch::cat({ids.slice(1, 0, 11), other.unsqueeze(1)}, 1);
  ForwardResult b_full = f.model.forward(f.model.embed(b_ids), nullptr, 0);
  EXPECT_LE(max_abs_diff(b_step, f.model.logits(b_full.hidden).select(1, 11)), 1e-4);
  at::Tensor a_step = f.model.decode(ids.select(1, 12), a, 12);
  EXPECT_LE(max_abs_diff(a_step, logits.select(1, 12)), 1e-4);
  EXPECT_EQ(a[0].keys.size(2), 13);
  EXPECT_EQ(b[0].keys.size(2), 12);
}

TEST(Qwen2Random, BuildsAtConfigSizeWithoutCheckpoint) {
  Qwen2Config c = std::get<Qwen2Config>(load_model_config(kDir).family);
  c.num_hidden_layers = 2;
  c.tie_word_embeddings = false;
  Qwen2Decoder a = Qwen2Decoder::random(c, {}, 7), b = Qwen2Decoder::random(c, {}, 7);
  at::Tensor ids = torch::arange(5).unsqueeze(0);
  at::Tensor la = a.logits(a.forward(a.embed(ids), nullptr, 0).hidden);
  EXPECT_EQ(la.sizes(), at::IntArrayRef({1, 5, 96}));
  EXPECT_TRUE(torch::isfinite(la).all().item<bool>());
  EXPECT_EQ(max_abs_diff(la, b.logits(b.forward(b.embed(ids), nullptr, 0).hidden)), 0.0);  // seeded
}
