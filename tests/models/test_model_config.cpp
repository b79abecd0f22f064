// Typed configs from config.json: transformers-5 files (the fixtures) and the released
// checkpoints' spellings (top-level rope_theta, *_token_index, rope_scaling mrope).
#include <gtest/gtest.h>

#include "vlm/models/model_config.h"

using namespace wq::models;

namespace {
std::string data(const std::string& rel) { return std::string(WQ_TEST_DATA_DIR) + "/models/" + rel; }
}  // namespace

TEST(ModelConfig, Qwen2Fixture) {
  const ModelConfig c = load_model_config(data("qwen2"));
  ASSERT_EQ(c.model_type, "qwen2");
  const Qwen2Config& q = std::get<Qwen2Config>(c.family);
  EXPECT_EQ(q.vocab_size, 96);
  EXPECT_EQ(q.num_hidden_layers, 3);
  EXPECT_EQ(q.num_key_value_heads, 2);
  EXPECT_EQ(q.head_dim, 16);
  EXPECT_DOUBLE_EQ(q.rope_theta, 10000.0);  // from rope_parameters
  EXPECT_TRUE(q.tie_word_embeddings);
  EXPECT_EQ(q.eos_token_ids, std::vector<std::int64_t>{2});
}

TEST(ModelConfig, LlavaOnevisionFixtureNested) {
  const ModelConfig c = load_model_config(data("llava_onevision"));
  const auto& l = std::get<LlavaOnevisionConfig>(c.family);
  EXPECT_EQ(l.text.hidden_size, 64);
  EXPECT_DOUBLE_EQ(l.text.rope_theta, 1e6);
  EXPECT_EQ(l.vision.image_size, 70);
  EXPECT_EQ(l.vision.grid(), 5);
  EXPECT_EQ(l.vision.num_hidden_layers, 3);
  EXPECT_EQ(l.video_token_id, 95);  // *_token_index spelling
  EXPECT_EQ(l.image_token_id, 94);
  EXPECT_EQ(l.vision_feature_layers, std::vector<std::int64_t>{-1});
  EXPECT_EQ(l.vision_feature_select_strategy, "full");
  EXPECT_EQ(&c.text(), &l.text);
}

TEST(ModelConfig, ReleasedLlavaOnevisionSpelling) {
  // Abridged from llava-hf/llava-onevision-qwen2-0.5b-ov-hf's config.json.
  const ModelConfig c = parse_model_config(R"({
    "model_type": "llava_onevision", "image_token_index": 151646, "video_token_index": 151647,
    "vision_feature_layer": -1, "vision_feature_select_strategy": "full",
    "text_config": {"model_type": "qwen2", "vocab_size": 152000, "hidden_size": 896,
      "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
      "num_key_value_heads": 2, "rope_theta": 1000000.0, "rms_norm_eps": 1e-06,
      "tie_word_embeddings": true},
    "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 1152,
      "image_size": 384, "intermediate_size": 4304, "num_attention_heads": 16,
      "num_hidden_layers": 26, "patch_size": 14, "vision_use_head": false}})", "cfg");
  const auto& l = std::get<LlavaOnevisionConfig>(c.family);
  EXPECT_EQ(l.text.head_dim, 64);
  EXPECT_DOUBLE_EQ(l.text.rope_theta, 1e6);
  EXPECT_EQ(l.vision.grid(), 27);
  EXPECT_EQ(l.video_token_id, 151647);
}

TEST(ModelConfig, Qwen2VlBothLayouts) {
  const ModelConfig v5 = load_model_config(data("qwen2_vl"));
  const auto& a = std::get<Qwen2VLConfig>(v5.family);
  EXPECT_FALSE(a.is_2_5);
  EXPECT_EQ(a.text.num_hidden_layers, 80);  // nested text_config in transformers 5
  EXPECT_EQ(a.vision.embed_dim, 1280);
  EXPECT_EQ(a.vision.temporal_patch_size, 2);
  EXPECT_EQ(a.video_token_id, 151656);

  const ModelConfig v25 = load_model_config(data("qwen2_5_vl"));
  const auto& b = std::get<Qwen2VLConfig>(v25.family);
  EXPECT_TRUE(b.is_2_5);
  EXPECT_EQ(b.vision.window_size, 112);
  EXPECT_EQ(b.vision.fullatt_block_indexes, (std::vector<std::int64_t>{7, 15, 23, 31}));
  EXPECT_DOUBLE_EQ(b.vision.tokens_per_second, 4);

  // Released Qwen2-VL-7B-Instruct layout: text fields top-level, rope_scaling mrope.
  const ModelConfig old = parse_model_config(R"({"model_type": "qwen2_vl", "vocab_size": 152064,
    "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
    "num_attention_heads": 28, "num_key_value_heads": 4, "rope_theta": 1000000.0,
    "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]},
    "vision_config": {"depth": 32, "embed_dim": 1280, "hidden_size": 3584, "num_heads": 16,
      "in_chans": 3, "spatial_merge_size": 2, "temporal_patch_size": 2}})", "cfg");
  const auto& o = std::get<Qwen2VLConfig>(old.family);
  EXPECT_EQ(o.text.head_dim, 128);
  EXPECT_EQ(o.text.mrope_section, (std::vector<std::int64_t>{16, 24, 24}));
}
