// config.json -> typed configs (see model_config.h).
#include "vlm/models/model_config.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "vlm/models/safetensors_format.h"

namespace wq::models {

using nlohmann::json;

namespace {

// Field readers that name the file and the JSON path in their errors.
struct Reader {
  const json& obj;
  std::string file;
  std::string where;  // e.g. "text_config."

  const json* find(const char* key) const {
    auto it = obj.find(key);
    return (it == obj.end() || it->is_null()) ? nullptr : &*it;
  }
  [[noreturn]] void fail(const char* key, const std::string& what) const {
    throw_checkpoint_error(file, "", "'" + where + key + "' " + what);
  }
  std::int64_t integer(const char* key) const {
    const json* v = find(key);
    if (!v) fail(key, "is missing");
    if (!v->is_number_integer()) fail(key, "is not an integer");
    return v->get<std::int64_t>();
  }
  std::int64_t integer(const char* key, std::int64_t fallback) const {
    return find(key) ? integer(key) : fallback;
  }
  double number(const char* key, double fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number()) fail(key, "is not a number");
    return v->get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(key, "is not a boolean");
    return v->get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_string()) fail(key, "is not a string");
    return v->get<std::string>();
  }
  std::vector<std::int64_t> int_list(const char* key) const {
    const json* v = find(key);
    std::vector<std::int64_t> out;
    if (!v) return out;
    if (v->is_number_integer()) return {v->get<std::int64_t>()};
    if (!v->is_array()) fail(key, "is not a list of integers");
    for (const auto& x : *v) {
      if (!x.is_number_integer()) fail(key, "is not a list of integers");
      out.push_back(x.get<std::int64_t>());
    }
    return out;
  }
  Reader sub(const char* key) const {
    const json* v = find(key);
    if (!v) fail(key, "is missing");
    if (!v->is_object()) fail(key, "is not an object");
    return Reader{*v, file, where + key + "."};
  }
};

Qwen2Config parse_qwen2(const Reader& r) {
  Qwen2Config c;
  c.vocab_size = r.integer("vocab_size");
  c.hidden_size = r.integer("hidden_size");
  c.intermediate_size = r.integer("intermediate_size");
  c.num_hidden_layers = r.integer("num_hidden_layers");
  c.num_attention_heads = r.integer("num_attention_heads");
  c.num_key_value_heads = r.integer("num_key_value_heads", c.num_attention_heads);
  if (c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    r.fail("num_attention_heads", "does not divide hidden_size");
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    r.fail("num_key_value_heads", "does not divide num_attention_heads");
  c.head_dim = r.integer("head_dim", c.hidden_size / c.num_attention_heads);
  c.max_position_embeddings = r.integer("max_position_embeddings", c.max_position_embeddings);
  c.rms_norm_eps = r.number("rms_norm_eps", c.rms_norm_eps);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  c.hidden_act = r.string("hidden_act", "silu");
  if (c.hidden_act != "silu") r.fail("hidden_act", "is '" + c.hidden_act + "'; only silu is supported");
  if (r.boolean("use_sliding_window", false))
    r.fail("use_sliding_window", "is true; sliding-window attention is not supported");
  c.rope_theta = r.number("rope_theta", c.rope_theta);
  // transformers 5 moves rope settings into rope_parameters; released checkpoints use
  // rope_theta + rope_scaling (Qwen2-VL: {"type": "mrope", "mrope_section": [...]}).
  for (const char* key : {"rope_parameters", "rope_scaling"}) {
    const json* rope = r.find(key);
    if (!rope || !rope->is_object()) continue;
    Reader rr{*rope, r.file, r.where + key + "."};
    c.rope_theta = rr.number("rope_theta", c.rope_theta);
    const std::string type = rr.string("rope_type", rr.string("type", "default"));
    if (type != "default" && type != "mrope")
      rr.fail("rope_type", "is '" + type + "'; only default rotary embeddings are supported");
    if (auto sections = rr.int_list("mrope_section"); !sections.empty()) c.mrope_section = sections;
  }
  c.eos_token_ids = r.int_list("eos_token_id");
  if (r.find("bos_token_id")) c.bos_token_id = r.integer("bos_token_id");
  return c;
}

SiglipVisionConfig parse_siglip(const Reader& r) {
  SiglipVisionConfig c;
  c.hidden_size = r.integer("hidden_size", 768);
  c.intermediate_size = r.integer("intermediate_size", 3072);
  c.num_hidden_layers = r.integer("num_hidden_layers", 12);
  c.num_attention_heads = r.integer("num_attention_heads", 12);
  c.num_channels = r.integer("num_channels", 3);
  c.image_size = r.integer("image_size", 224);
  c.patch_size = r.integer("patch_size", 16);
  c.layer_norm_eps = r.number("layer_norm_eps", 1e-6);
  c.hidden_act = r.string("hidden_act", "gelu_pytorch_tanh");
  // 384 px / 14 px leaves 6 px unused: the stride-14 convolution floors to 27 patches.
  if (c.patch_size <= 0 || c.image_size < c.patch_size)
    r.fail("image_size", "is smaller than patch_size");
  if (c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    r.fail("num_attention_heads", "does not divide hidden_size");
  return c;
}

std::int64_t token_id(const Reader& r, const char* id_key, const char* index_key,
                      std::int64_t fallback) {
  return r.find(id_key) ? r.integer(id_key) : r.integer(index_key, fallback);
}

LlavaOnevisionConfig parse_llava_onevision(const Reader& r) {
  LlavaOnevisionConfig c;
  c.text = parse_qwen2(r.sub("text_config"));
  const Reader vision = r.sub("vision_config");
  const std::string vtype = vision.string("model_type", "siglip_vision_model");
  if (vtype != "siglip_vision_model")
    vision.fail("model_type", "is '" + vtype + "'; only siglip_vision_model is supported");
  c.vision = parse_siglip(vision);
  c.image_token_id = token_id(r, "image_token_id", "image_token_index", c.image_token_id);
  c.video_token_id = token_id(r, "video_token_id", "video_token_index", c.video_token_id);
  c.vision_feature_layers = r.int_list("vision_feature_layer");
  if (c.vision_feature_layers.empty()) c.vision_feature_layers = {-1};
  for (auto layer : c.vision_feature_layers) {
    const auto n = c.vision.num_hidden_layers;
    if (layer > n || layer < -(n + 1)) r.fail("vision_feature_layer", "is out of range");
  }
  c.vision_feature_select_strategy = r.string("vision_feature_select_strategy", "full");
  if (c.vision_feature_select_strategy != "full" && c.vision_feature_select_strategy != "default")
    r.fail("vision_feature_select_strategy", "must be 'full' or 'default'");
  c.projector_hidden_act = r.string("projector_hidden_act", "gelu");
  c.multimodal_projector_bias = r.boolean("multimodal_projector_bias", true);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  return c;
}

Qwen2VLConfig parse_qwen2_vl(const Reader& r, bool is_2_5) {
  Qwen2VLConfig c;
  c.is_2_5 = is_2_5;
  // transformers 5 nests the LLM under text_config; released checkpoints keep it top-level.
  c.text = r.find("text_config") ? parse_qwen2(r.sub("text_config")) : parse_qwen2(r);
  if (r.find("rope_scaling") && c.text.mrope_section.empty()) {
    Reader rs = r.sub("rope_scaling");
    c.text.mrope_section = rs.int_list("mrope_section");
  }
  // transformers' Qwen2VLRotaryEmbedding falls back to [16, 24, 24] (head_dim 128).
  if (c.text.mrope_section.empty()) c.text.mrope_section = {16, 24, 24};
  std::int64_t rotary_half = 0;
  for (auto s : c.text.mrope_section) rotary_half += s;
  if (rotary_half * 2 != c.text.head_dim)
    r.fail("mrope_section", "does not sum to head_dim / 2 = " + std::to_string(c.text.head_dim / 2));
  // transformers 5 ties at the top level; older saves put the flag in text_config.
  c.text.tie_word_embeddings = r.boolean("tie_word_embeddings", false) || c.text.tie_word_embeddings;
  const Reader v = r.sub("vision_config");
  auto& vc = c.vision;
  vc.depth = v.integer("depth", 32);
  vc.hidden_size = v.integer("hidden_size", is_2_5 ? 1280 : 3584);
  vc.embed_dim = v.integer("embed_dim", is_2_5 ? vc.hidden_size : 1280);
  vc.out_hidden_size = v.integer("out_hidden_size", is_2_5 ? 3584 : vc.hidden_size);
  vc.mlp_ratio = v.integer("mlp_ratio", 4);
  vc.intermediate_size = v.integer("intermediate_size", vc.embed_dim * vc.mlp_ratio);
  vc.num_heads = v.integer("num_heads", 16);
  vc.in_channels = v.integer("in_channels", v.integer("in_chans", 3));
  vc.patch_size = v.integer("patch_size", 14);
  vc.spatial_merge_size = v.integer("spatial_merge_size", 2);
  vc.temporal_patch_size = v.integer("temporal_patch_size", 2);
  vc.window_size = v.integer("window_size", is_2_5 ? 112 : 0);
  vc.fullatt_block_indexes = v.int_list("fullatt_block_indexes");
  vc.tokens_per_second = v.number("tokens_per_second", r.number("tokens_per_second", is_2_5 ? 2 : 0));
  vc.hidden_act = v.string("hidden_act", is_2_5 ? "silu" : "quick_gelu");
  if (const auto* rope = v.find("rope_parameters"); rope && rope->is_object())
    vc.rope_theta = Reader{*rope, v.file, v.where + "rope_parameters."}.number("rope_theta", vc.rope_theta);
  c.image_token_id = r.integer("image_token_id", c.image_token_id);
  c.video_token_id = r.integer("video_token_id", c.video_token_id);
  c.vision_start_token_id = r.integer("vision_start_token_id", c.vision_start_token_id);
  c.vision_end_token_id = r.integer("vision_end_token_id", c.vision_end_token_id);
  return c;
}

}  // namespace

const Qwen2Config& ModelConfig::text() const {
  if (auto* q = std::get_if<Qwen2Config>(&family)) return *q;
  if (auto* l = std::get_if<LlavaOnevisionConfig>(&family)) return l->text;
  return std::get<Qwen2VLConfig>(family).text;
}

ModelConfig parse_model_config(std::string_view json_text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw_checkpoint_error(file, "", "config is not a JSON object");
  const Reader r{doc, file, ""};
  ModelConfig config;
  config.model_type = r.string("model_type", "");
  if (config.model_type == "qwen2")
    config.family = parse_qwen2(r);
  else if (config.model_type == "llava_onevision")
    config.family = parse_llava_onevision(r);
  else if (config.model_type == "qwen2_vl" || config.model_type == "qwen2_5_vl")
    config.family = parse_qwen2_vl(r, config.model_type == "qwen2_5_vl");
  else
    throw_checkpoint_error(file, "", "unsupported architecture: model_type '" + config.model_type +
                                         "' (supported: qwen2, llava_onevision, qwen2_vl, qwen2_5_vl)");
  return config;
}

ModelConfig load_model_config(const std::string& folder_or_file) {
  namespace fs = std::filesystem;
  const std::string path = fs::is_directory(folder_or_file)
                               ? (fs::path(folder_or_file) / "config.json").string()
                               : folder_or_file;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_checkpoint_error(path, "", "cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path);
}

}  // namespace wq::models
