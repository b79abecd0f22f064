// Typed views of a checkpoint's config.json, as transformers reads it (torch-free).
// Both spellings of a field are accepted where transformers 5 renamed one: top-level
// `rope_theta` (released checkpoints) and `rope_parameters.rope_theta` (transformers 5);
// `*_token_index` and `*_token_id`; Qwen2-VL text fields top-level or under text_config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wq::models {

struct Qwen2Config {
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_key_value_heads = 0;
  std::int64_t head_dim = 0;  // hidden_size / num_attention_heads unless given
  std::int64_t max_position_embeddings = 32768;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  std::string hidden_act = "silu";
  // Multimodal rotary sections (Qwen2-VL family): temporal/height/width split of the
  // rotary half-dimension; empty for plain Qwen2.
  std::vector<std::int64_t> mrope_section;
  std::vector<std::int64_t> eos_token_ids;
  std::optional<std::int64_t> bos_token_id;
};

struct SiglipVisionConfig {
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_hidden_layers = 0;
  std::int64_t num_attention_heads = 0;
  std::int64_t num_channels = 3;
  std::int64_t image_size = 0;
  std::int64_t patch_size = 0;
  double layer_norm_eps = 1e-6;
  std::string hidden_act = "gelu_pytorch_tanh";
  std::int64_t grid() const { return image_size / patch_size; }  // patches per side
};

struct LlavaOnevisionConfig {
  Qwen2Config text;
  SiglipVisionConfig vision;
  std::int64_t image_token_id = 151646;
  std::int64_t video_token_id = 151647;
  // Python-style indices into the vision tower's hidden states (0 = embeddings, -1 = last
  // layer); several are concatenated along features.
  std::vector<std::int64_t> vision_feature_layers{-1};
  std::string vision_feature_select_strategy = "full";  // "full" or "default" (drop CLS)
  std::string projector_hidden_act = "gelu";
  bool multimodal_projector_bias = true;
  bool tie_word_embeddings = false;
};

struct Qwen2VLVisionConfig {
  std::int64_t depth = 0;
  std::int64_t embed_dim = 0;      // Qwen2-VL; Qwen2.5-VL calls it hidden_size
  std::int64_t hidden_size = 0;    // Qwen2-VL: LLM width it merges into; 2.5: ViT width
  std::int64_t out_hidden_size = 0;  // Qwen2.5-VL: LLM width
  std::int64_t intermediate_size = 0;
  std::int64_t mlp_ratio = 4;
  std::int64_t num_heads = 0;
  std::int64_t in_channels = 3;
  std::int64_t patch_size = 14;
  std::int64_t spatial_merge_size = 2;
  std::int64_t temporal_patch_size = 2;
  std::int64_t window_size = 0;  // Qwen2.5-VL window attention (112)
  std::vector<std::int64_t> fullatt_block_indexes;
  double tokens_per_second = 0;  // Qwen2.5-VL temporal M-RoPE scale
  std::string hidden_act;
  double rope_theta = 10000.0;  // the ViT's 2-D rotary base (rope_parameters.rope_theta)
};

struct Qwen2VLConfig {
  bool is_2_5 = false;  // qwen2_5_vl
  // text.mrope_section is always set (transformers' default [16, 24, 24] when the file has
  // none) and sums to head_dim / 2; text.tie_word_embeddings also reads the top-level flag.
  Qwen2Config text;
  Qwen2VLVisionConfig vision;
  std::int64_t image_token_id = 151655;
  std::int64_t video_token_id = 151656;
  std::int64_t vision_start_token_id = 151652;
  std::int64_t vision_end_token_id = 151653;
};

struct ModelConfig {
  std::string model_type;  // "qwen2", "llava_onevision", "qwen2_vl", "qwen2_5_vl"
  std::variant<Qwen2Config, LlavaOnevisionConfig, Qwen2VLConfig> family;
  // The LLM part, whatever the family.
  const Qwen2Config& text() const;
};

// Parses config.json text; `file` names it in errors. Unsupported model_type, a missing
// required field or a value of the wrong type throws CheckpointError (one line).
ModelConfig parse_model_config(std::string_view json_text, const std::string& file);
// Reads <folder>/config.json (or the file itself when given one).
ModelConfig load_model_config(const std::string& folder_or_file);

}  // namespace wq::models
