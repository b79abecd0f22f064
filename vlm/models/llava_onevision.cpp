// LLaVA-OneVision video path (see llava_onevision.h).
#include "vlm/models/llava_onevision.h"

#include "vlm/models/safetensors.h"
#include "vlm/models/weights.h"

namespace wq::models {

struct LlavaProjector {
  at::Tensor w1, b1, w2, b2;  // linear_1 (vision -> text), linear_2 (text -> text)
  at::Tensor image_newline;   // [text hidden]
};

namespace {

namespace F = torch::nn::functional;

at::Tensor projector_act(const at::Tensor& x, const std::string& name) {
  if (name == "gelu") return F::gelu(x);
  if (name == "gelu_pytorch_tanh") return F::gelu(x, F::GELUFuncOptions().approximate("tanh"));
  if (name == "silu") return torch::silu(x);
  throw std::invalid_argument("unsupported projector_hidden_act '" + name + "'");
}

at::Tensor maybe_bias(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  return b.defined() ? at::linear(x, w, b) : at::linear(x, w);
}

}  // namespace

LlavaOnevision::LlavaOnevision(LlavaOnevisionConfig config, Qwen2Decoder llm,
                               SiglipVisionTower vision,
                               std::shared_ptr<const LlavaProjector> projector)
    : config_(std::move(config)), llm_(std::move(llm)), vision_(std::move(vision)),
      projector_(std::move(projector)) {}

LlavaOnevision LlavaOnevision::load(const std::string& folder, const LoadOptions& options) {
  const ModelConfig mc = load_model_config(folder);
  if (mc.model_type != "llava_onevision")
    throw_checkpoint_error(folder + "/config.json", "",
                           "model_type '" + mc.model_type + "' is not llava_onevision");
  const auto& c = std::get<LlavaOnevisionConfig>(mc.family);
  const Checkpoint ckpt = Checkpoint::open(folder);
  const std::string text = pick_prefix(
      ckpt, {"language_model.model.", "model.language_model.", "language_model."},
      "embed_tokens.weight");
  const std::string lm_head = ckpt.contains("lm_head.weight") ? "lm_head.weight"
                                                              : "language_model.lm_head.weight";
  Qwen2Decoder llm = Qwen2Decoder::load(ckpt, c.text, text, lm_head, options);
  const std::string vis = pick_prefix(
      ckpt, {"vision_tower.vision_model.", "vision_tower.", "model.vision_tower.vision_model.",
             "model.vision_tower."},
      "embeddings.patch_embedding.weight");
  SiglipVisionTower vision = SiglipVisionTower::load(ckpt, c.vision, vis, options);
  const std::string root = pick_prefix(ckpt, {"", "model."}, "multi_modal_projector.linear_1.weight");
  WeightLoader w(ckpt, options);
  auto proj = std::make_shared<LlavaProjector>();
  const auto in = c.vision.hidden_size * static_cast<std::int64_t>(c.vision_feature_layers.size());
  const auto H = c.text.hidden_size;
  proj->w1 = w.get(root + "multi_modal_projector.linear_1.weight", {H, in});
  proj->w2 = w.get(root + "multi_modal_projector.linear_2.weight", {H, H});
  if (c.multimodal_projector_bias) {
    proj->b1 = w.get(root + "multi_modal_projector.linear_1.bias", {H});
    proj->b2 = w.get(root + "multi_modal_projector.linear_2.bias", {H});
  }
  proj->image_newline = w.get(root + "image_newline", {H});
  return LlavaOnevision(c, std::move(llm), std::move(vision), std::move(proj));
}

LlavaOnevision LlavaOnevision::random(const LlavaOnevisionConfig& c, const LoadOptions& options,
                                      std::uint64_t seed) {
  Qwen2Decoder llm = Qwen2Decoder::random(c.text, options, seed);
  RandomWeights r(options, seed + 1);
  SiglipVisionTower vision = SiglipVisionTower::random(c.vision, r);
  auto proj = std::make_shared<LlavaProjector>();
  const auto in = c.vision.hidden_size * static_cast<std::int64_t>(c.vision_feature_layers.size());
  const auto H = c.text.hidden_size;
  proj->w1 = r.matrix({H, in});
  proj->w2 = r.matrix({H, H});
  if (c.multimodal_projector_bias) {
    proj->b1 = r.vector(H, 0.0, 0.1);
    proj->b2 = r.vector(H, 0.0, 0.1);
  }
  proj->image_newline = r.vector(H, 0.0, 1.0 / std::sqrt(static_cast<double>(H)));
  return LlavaOnevision(c, std::move(llm), std::move(vision), std::move(proj));
}

NamedTensors LlavaOnevision::named_tensors() const {
  NamedTensors out;
  for (auto& [name, t] : llm_.named_tensors())
    out.emplace_back(name == "lm_head.weight" ? "language_model." + name : "language_model.model." + name, t);
  for (auto& [name, t] : vision_.named_tensors()) out.emplace_back("vision_tower.vision_model." + name, t);
  const auto& p = *projector_;
  out.emplace_back("multi_modal_projector.linear_1.weight", p.w1);
  out.emplace_back("multi_modal_projector.linear_2.weight", p.w2);
  if (p.b1.defined()) {
    out.emplace_back("multi_modal_projector.linear_1.bias", p.b1);
    out.emplace_back("multi_modal_projector.linear_2.bias", p.b2);
  }
  out.emplace_back("image_newline", p.image_newline);
  return out;
}

std::int64_t LlavaOnevision::tokens_per_frame() const {
  const auto pooled = (config_.vision.grid() + 1) / 2;  // ceil(grid / 2)
  return pooled * pooled;
}

std::int64_t LlavaOnevision::video_token_count(std::int64_t frames) const {
  return frames * tokens_per_frame() + 1;
}

at::Tensor LlavaOnevision::video_features(const at::Tensor& pixel_values) const {
  const auto& c = config_;
  std::vector<at::Tensor> states = vision_.hidden_states(pixel_values, c.vision_feature_layers);
  at::Tensor x = states.size() == 1 ? states[0] : torch::cat(states, -1);
  if (c.vision_feature_select_strategy == "default") x = x.slice(1, 1);  // drop CLS
  const auto& p = *projector_;
  // The projector runs before the pooling, as transformers' get_video_features does.
  x = maybe_bias(projector_act(maybe_bias(x, p.w1, p.b1), c.projector_hidden_act), p.w2, p.b2);
  const auto frames = x.size(0), grid = c.vision.grid(), dim = x.size(-1);
  const auto pooled = (grid + 1) / 2;
  x = x.view({frames, grid, grid, dim}).permute({0, 3, 1, 2}).contiguous();
  x = F::interpolate(x, F::InterpolateFuncOptions()
                            .size(std::vector<std::int64_t>{pooled, pooled})
                            .mode(torch::kBilinear)
                            .align_corners(false));
  return x.permute({0, 2, 3, 1}).reshape({frames * pooled * pooled, dim});
}

at::Tensor LlavaOnevision::video_embeddings(const at::Tensor& pixel_values) const {
  at::Tensor features = video_features(pixel_values);
  return torch::cat({features, projector_->image_newline.unsqueeze(0).to(features.scalar_type())}, 0);
}

at::Tensor LlavaOnevision::embed_prompt(const at::Tensor& ids, const at::Tensor& video_embeddings) const {
  TORCH_CHECK(ids.dim() == 2 && ids.size(0) == 1, "embed_prompt: ids must be [1, tokens]");
  at::Tensor embeds = llm_.embed(ids).clone();
  at::Tensor positions = (ids[0].to(at::kCPU) == config_.video_token_id).nonzero().flatten();
  TORCH_CHECK(positions.size(0) == video_embeddings.size(0),
              "embed_prompt: ", positions.size(0), " video placeholder tokens but ",
              video_embeddings.size(0), " video embeddings");
  if (positions.size(0) > 0)
    embeds[0].index_put_({positions.to(embeds.device())},
                         video_embeddings.to(embeds.device(), embeds.scalar_type()));
  return embeds;
}

}  // namespace wq::models
