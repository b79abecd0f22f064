// SigLIP vision tower (see siglip.h).
#include "vlm/models/siglip.h"

#include "vlm/models/attention.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/weights.h"

namespace wq::models {

struct SiglipLayer {
  at::Tensor ln1_w, ln1_b, ln2_w, ln2_b;
  at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;
  at::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
};

struct SiglipWeights {
  at::Tensor patch_w, patch_b, position;
  std::vector<SiglipLayer> layers;
  NamedTensors named;  // every parameter under its checkpoint name (relative to the prefix)
};

namespace {

namespace F = torch::nn::functional;

at::Tensor activation(const at::Tensor& x, const std::string& name) {
  if (name == "gelu_pytorch_tanh" || name == "gelu_new")
    return F::gelu(x, F::GELUFuncOptions().approximate("tanh"));
  if (name == "gelu") return F::gelu(x);
  if (name == "quick_gelu") return x * torch::sigmoid(1.702 * x);
  throw std::invalid_argument("unsupported vision activation '" + name + "'");
}

template <class Get>
SiglipWeights build(const SiglipVisionConfig& c, Get&& get_tensor) {
  SiglipWeights w;
  auto get = [&](const std::string& name, std::vector<std::int64_t> shape, int kind) {
    at::Tensor t = get_tensor(name, shape, kind);
    w.named.emplace_back(name, t);
    return t;
  };
  const auto H = c.hidden_size, I = c.intermediate_size, P = c.patch_size;
  w.patch_w = get("embeddings.patch_embedding.weight", {H, c.num_channels, P, P}, 0);
  w.patch_b = get("embeddings.patch_embedding.bias", {H}, 1);
  w.position = get("embeddings.position_embedding.weight", {c.grid() * c.grid(), H}, 3);
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "encoder.layers." + std::to_string(i) + ".";
    SiglipLayer l;
    l.ln1_w = get(p + "layer_norm1.weight", {H}, 2);
    l.ln1_b = get(p + "layer_norm1.bias", {H}, 1);
    l.ln2_w = get(p + "layer_norm2.weight", {H}, 2);
    l.ln2_b = get(p + "layer_norm2.bias", {H}, 1);
    l.q_w = get(p + "self_attn.q_proj.weight", {H, H}, 0);
    l.q_b = get(p + "self_attn.q_proj.bias", {H}, 1);
    l.k_w = get(p + "self_attn.k_proj.weight", {H, H}, 0);
    l.k_b = get(p + "self_attn.k_proj.bias", {H}, 1);
    l.v_w = get(p + "self_attn.v_proj.weight", {H, H}, 0);
    l.v_b = get(p + "self_attn.v_proj.bias", {H}, 1);
    l.o_w = get(p + "self_attn.out_proj.weight", {H, H}, 0);
    l.o_b = get(p + "self_attn.out_proj.bias", {H}, 1);
    l.fc1_w = get(p + "mlp.fc1.weight", {I, H}, 0);
    l.fc1_b = get(p + "mlp.fc1.bias", {I}, 1);
    l.fc2_w = get(p + "mlp.fc2.weight", {H, I}, 0);
    l.fc2_b = get(p + "mlp.fc2.bias", {H}, 1);
    w.layers.push_back(std::move(l));
  }
  return w;
}

}  // namespace

SiglipVisionTower::SiglipVisionTower(SiglipVisionConfig config,
                                     std::shared_ptr<const SiglipWeights> weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}

SiglipVisionTower SiglipVisionTower::load(const Checkpoint& ckpt, const SiglipVisionConfig& c,
                                          const std::string& prefix, const LoadOptions& options) {
  WeightLoader loader(ckpt, options);
  auto get = [&](const std::string& name, std::vector<std::int64_t> shape, int) {
    return loader.get(prefix + name, shape);
  };
  return SiglipVisionTower(c, std::make_shared<SiglipWeights>(build(c, get)));
}

SiglipVisionTower SiglipVisionTower::random(const SiglipVisionConfig& c, RandomWeights& random) {
  // kind: 0 matrix, 1 bias, 2 norm weight, 3 embedding table
  auto get = [&](const std::string&, std::vector<std::int64_t> shape, int kind) {
    if (kind == 0) return random.matrix(shape);
    if (kind == 3) return random.matrix(shape, 0.5);
    return random.vector(shape[0], kind == 2 ? 1.0 : 0.0, 0.1);
  };
  return SiglipVisionTower(c, std::make_shared<SiglipWeights>(build(c, get)));
}

NamedTensors SiglipVisionTower::named_tensors() const { return weights_->named; }

std::vector<at::Tensor> SiglipVisionTower::hidden_states(const at::Tensor& pixels,
                                                         const std::vector<std::int64_t>& layers) const {
  const auto& c = config_;
  const auto& w = *weights_;
  TORCH_CHECK(pixels.dim() == 4 && pixels.size(1) == c.num_channels &&
                  pixels.size(2) == c.image_size && pixels.size(3) == c.image_size,
              "SigLIP: pixels must be [images, ", c.num_channels, ", ", c.image_size, ", ",
              c.image_size, "], got ", pixels.sizes());
  const auto n_states = c.num_hidden_layers + 1;
  std::vector<std::int64_t> wanted;
  std::int64_t deepest = 0;
  for (auto layer : layers) {
    const auto index = layer < 0 ? layer + n_states : layer;
    TORCH_CHECK(index >= 0 && index < n_states, "SigLIP: feature layer ", layer, " out of range");
    wanted.push_back(index);
    deepest = std::max(deepest, index);
  }
  const auto N = pixels.size(0), H = c.hidden_size, heads = c.num_attention_heads;
  const auto D = H / heads;
  at::Tensor x = F::conv2d(pixels.to(w.patch_w.device(), w.patch_w.scalar_type()), w.patch_w,
                           F::Conv2dFuncOptions().bias(w.patch_b).stride(c.patch_size));
  x = x.flatten(2).transpose(1, 2) + w.position;  // [N, patches, H]
  const auto T = x.size(1);
  std::vector<at::Tensor> states{x};
  for (std::int64_t i = 0; i < deepest; ++i) {
    const SiglipLayer& l = w.layers[i];
    at::Tensor h = F::layer_norm(x, F::LayerNormFuncOptions({H}).weight(l.ln1_w).bias(l.ln1_b).eps(c.layer_norm_eps));
    at::Tensor q = at::linear(h, l.q_w, l.q_b).view({N, T, heads, D}).transpose(1, 2);
    at::Tensor k = at::linear(h, l.k_w, l.k_b).view({N, T, heads, D}).transpose(1, 2);
    at::Tensor v = at::linear(h, l.v_w, l.v_b).view({N, T, heads, D}).transpose(1, 2);
    at::Tensor attn = full_attention(q, k, v).transpose(1, 2).reshape({N, T, H});
    x = x + at::linear(attn, l.o_w, l.o_b);
    h = F::layer_norm(x, F::LayerNormFuncOptions({H}).weight(l.ln2_w).bias(l.ln2_b).eps(c.layer_norm_eps));
    x = x + at::linear(activation(at::linear(h, l.fc1_w, l.fc1_b), c.hidden_act), l.fc2_w, l.fc2_b);
    states.push_back(x);
  }
  std::vector<at::Tensor> out;
  for (auto index : wanted) out.push_back(states[index]);
  return out;
}

}  // namespace wq::models
