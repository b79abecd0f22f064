// Qwen2 decoder (see qwen2.h). Numerics follow transformers' Qwen2 modules: RMSNorm in fp32
// then cast, rotary tables in fp32 then cast, softmax in fp32.
#include "vlm/models/qwen2.h"

#include <torch/version.h>

#include "vlm/models/attention.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/weights.h"

namespace wq::models {

struct Qwen2Layer {
  at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w;
  at::Tensor gate_w, up_w, down_w;
  at::Tensor input_norm, post_attention_norm;
};

struct Qwen2Weights {
  at::Tensor embed;
  std::vector<Qwen2Layer> layers;
  at::Tensor norm;
  at::Tensor lm_head;
  at::Tensor inv_freq;  // [head_dim / 2] fp32 on the model's device
  NamedTensors named;   // every parameter under its checkpoint name (relative to the prefix)
};

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  // LibTorch's own op instead of the eight launches below (decode at batch 1 is launch-bound;
  // recent releases fuse it on CUDA). It may round once where transformers rounds twice
  // (after the normalisation, after the weight): within a bf16 ulp, inside the golden bound.
  if (weight.scalar_type() == x.scalar_type())
    return at::rms_norm(x, {x.size(-1)}, weight, eps);
#endif
  const auto in_dtype = x.scalar_type();
  at::Tensor h = x.to(at::kFloat);
  h = h * torch::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * h.to(in_dtype);
}

at::Tensor rotate_half(const at::Tensor& x) {
  const auto half = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, half), x.slice(-1, 0, half)}, -1);
}

// Spare capacity behind a LayerKV's keys/values. `filled` is the longest length any view has
// been given: a view of exactly that length is the frontier and may write past it; a shorter
// one (a copy another copy has since outgrown) must not, or it would overwrite the other's
// tokens.
struct KvRoom {
  at::Tensor keys, values;  // [batch, kv_heads, capacity, head_dim]
  std::int64_t filled = 0;
};

namespace {

namespace F = torch::nn::functional;

// Tokens of spare capacity a growing cache takes at a time: one copy of the cache per this
// many decode steps instead of one per step (what torch::cat would cost).
constexpr std::int64_t kDecodeRoom = 256;

// Appends k/v ([B, Hkv, n, D]) to `layer` in place where its room allows, else moves it into
// a fresh buffer with kDecodeRoom tokens to spare.
void append_in_place(LayerKV& layer, const at::Tensor& k, const at::Tensor& v) {
  const auto n = k.size(2), length = layer.keys.defined() ? layer.keys.size(2) : 0;
  const KvRoom* room = layer.room.get();
  const bool in_place = room && length > 0 && room->filled == length &&
                        length + n <= room->keys.size(2) &&
                        layer.keys.data_ptr() == room->keys.data_ptr() &&
                        layer.values.data_ptr() == room->values.data_ptr();
  if (!in_place) {
    auto fresh = std::make_shared<KvRoom>();
    std::vector<std::int64_t> sizes = k.sizes().vec();
    sizes[2] = length + n + kDecodeRoom;
    fresh->keys = at::empty(sizes, k.options());
    fresh->values = at::empty(sizes, v.options());
    if (length > 0) {
      fresh->keys.narrow(2, 0, length).copy_(layer.keys);
      fresh->values.narrow(2, 0, length).copy_(layer.values);
    }
    layer.room = std::move(fresh);
  }
  KvRoom& r = *layer.room;
  r.keys.narrow(2, length, n).copy_(k);
  r.values.narrow(2, length, n).copy_(v);
  r.filled = length + n;
  layer.keys = r.keys.narrow(2, 0, r.filled);
  layer.values = r.values.narrow(2, 0, r.filled);
}

// Positions start .. start + tokens - 1 for every row: [batch, tokens] int64.
at::Tensor text_positions(std::int64_t start, std::int64_t batch, std::int64_t tokens,
                          const at::Device& device) {
  return torch::arange(start, start + tokens, torch::TensorOptions().dtype(at::kLong).device(device))
      .unsqueeze(0)
      .expand({batch, tokens});
}

at::Tensor make_inv_freq(const Qwen2Config& c, const at::Device& device) {
  // Same expression as transformers' default rope init, in fp32.
  auto exponent = torch::arange(0, c.head_dim, 2, torch::kLong).to(at::kFloat) /
                  static_cast<double>(c.head_dim);
  return (1.0 / torch::pow(c.rope_theta, exponent)).to(device);
}

// Rotary angles [batch, tokens, head_dim / 2] in fp32 (as transformers computes them).
// Multimodal positions [3, batch, tokens] give each frequency the row of its M-RoPE section:
// the first sections[0] frequencies follow the temporal row, the next sections[1] the height
// row, then width (transformers' recomposition_frequencies, row i % 3 for section i).
at::Tensor rotary_angles(const at::Tensor& positions, const at::Tensor& inv_freq,
                         const std::vector<std::int64_t>& sections) {
  at::Tensor freqs = positions.to(inv_freq.device(), at::kFloat).unsqueeze(-1) * inv_freq;
  if (positions.dim() == 2) return freqs;
  std::vector<at::Tensor> parts;
  std::int64_t start = 0;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    parts.push_back(freqs[static_cast<std::int64_t>(i % 3)].slice(-1, start, start + sections[i]));
    start += sections[i];
  }
  return torch::cat(parts, -1);
}

// Named `dense` rather than `linear`: argument-dependent lookup would also find at::linear.
at::Tensor dense(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {}) {
  return b.defined() ? at::linear(x, w, b) : at::linear(x, w);
}

// A span's attention when a compressed cache holds every earlier token. One token (a decode
// step) joins the cache first and reads it whole in one kernel call; a longer span (the query
// prefill) reads the cache and itself causally, both softmaxes joined through their lse, and
// joins the cache afterwards.
at::Tensor attention_with_context(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  ContextAttention& context, std::int64_t layer) {
  TORCH_CHECK(q.size(0) == 1, "attention over a packed context: batch must be 1, got ", q.size(0));
  if (q.size(2) == 1) {
    context.append(layer, k, v);
    return context.attend(layer, q).first.to(q.scalar_type());
  }
  at::Tensor span_lse;  // asking for it keeps this span on the math path (see attention.h)
  const at::Tensor span = causal_attention(q, k, v, 0, &span_lse).to(at::kFloat);
  auto [ctx_out, c_lse] = context.attend(layer, q);
  const at::Tensor c_out = ctx_out.to(at::kFloat);
  const at::Tensor m = torch::maximum(span_lse, c_lse);
  const at::Tensor w_span = (span_lse - m).exp().unsqueeze(-1), w_ctx = (c_lse - m).exp().unsqueeze(-1);
  context.append(layer, k, v);
  return ((w_span * span + w_ctx * c_out) / (w_span + w_ctx)).to(q.scalar_type());
}

enum WeightKind { kMatrix, kBias, kNorm, kEmbedding };

// One place for the tensor names and shapes, shared by load and random. get(name, shape,
// kind) returns the tensor; lm_head is named "lm_head.weight" (the caller maps it).
template <class Get>
Qwen2Weights build_qwen2(const Qwen2Config& c, bool own_lm_head, Get&& get) {
  Qwen2Weights w;
  auto take = [&](const std::string& name, std::vector<std::int64_t> shape, int kind) {
    at::Tensor t = get(name, shape, kind);
    w.named.emplace_back(name, t);
    return t;
  };
  const auto H = c.hidden_size, I = c.intermediate_size;
  const auto q_dim = c.num_attention_heads * c.head_dim, kv_dim = c.num_key_value_heads * c.head_dim;
  w.embed = take("embed_tokens.weight", {c.vocab_size, H}, kEmbedding);
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    Qwen2Layer l;
    l.q_w = take(p + "self_attn.q_proj.weight", {q_dim, H}, kMatrix);
    l.q_b = take(p + "self_attn.q_proj.bias", {q_dim}, kBias);
    l.k_w = take(p + "self_attn.k_proj.weight", {kv_dim, H}, kMatrix);
    l.k_b = take(p + "self_attn.k_proj.bias", {kv_dim}, kBias);
    l.v_w = take(p + "self_attn.v_proj.weight", {kv_dim, H}, kMatrix);
    l.v_b = take(p + "self_attn.v_proj.bias", {kv_dim}, kBias);
    l.o_w = take(p + "self_attn.o_proj.weight", {H, q_dim}, kMatrix);
    l.gate_w = take(p + "mlp.gate_proj.weight", {I, H}, kMatrix);
    l.up_w = take(p + "mlp.up_proj.weight", {I, H}, kMatrix);
    l.down_w = take(p + "mlp.down_proj.weight", {H, I}, kMatrix);
    l.input_norm = take(p + "input_layernorm.weight", {H}, kNorm);
    l.post_attention_norm = take(p + "post_attention_layernorm.weight", {H}, kNorm);
    w.layers.push_back(std::move(l));
  }
  w.norm = take("norm.weight", {H}, kNorm);
  w.lm_head = own_lm_head ? take("lm_head.weight", {c.vocab_size, H}, kMatrix) : w.embed;
  w.inv_freq = make_inv_freq(c, w.embed.device());
  return w;
}

}  // namespace

Qwen2Decoder::Qwen2Decoder(Qwen2Config config, std::shared_ptr<const Qwen2Weights> weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}

at::ScalarType Qwen2Decoder::dtype() const { return weights_->embed.scalar_type(); }
at::Device Qwen2Decoder::device() const { return weights_->embed.device(); }

Qwen2Decoder Qwen2Decoder::load(const Checkpoint& ckpt, const Qwen2Config& c,
                                const std::string& prefix, const std::string& lm_head_name,
                                const LoadOptions& options) {
  WeightLoader w(ckpt, options);
  // transformers drops lm_head.weight from tied checkpoints; some writers keep it anyway.
  const bool own_lm_head = ckpt.contains(lm_head_name) || !c.tie_word_embeddings;
  auto get = [&](const std::string& name, const std::vector<std::int64_t>& shape, int) {
    return w.get(name == "lm_head.weight" ? lm_head_name : prefix + name, shape);
  };
  return Qwen2Decoder(c, std::make_shared<Qwen2Weights>(build_qwen2(c, own_lm_head, get)));
}

Qwen2Decoder Qwen2Decoder::load(const std::string& folder, const LoadOptions& options) {
  const ModelConfig config = load_model_config(folder);
  if (config.model_type != "qwen2")
    throw_checkpoint_error(folder + "/config.json", "",
                           "model_type '" + config.model_type + "' is not qwen2");
  const Checkpoint ckpt = Checkpoint::open(folder);
  return load(ckpt, config.text(), "model.", "lm_head.weight", options);
}

Qwen2Decoder Qwen2Decoder::random(const Qwen2Config& c, const LoadOptions& options,
                                  std::uint64_t seed) {
  RandomWeights r(options, seed);
  auto get = [&](const std::string&, const std::vector<std::int64_t>& shape, int kind) {
    if (kind == kMatrix) return r.matrix(shape);
    if (kind == kEmbedding) return r.matrix(shape, 1.0);
    return r.vector(shape[0], kind == kNorm ? 1.0 : 0.0, 0.1);
  };
  return Qwen2Decoder(c, std::make_shared<Qwen2Weights>(build_qwen2(c, !c.tie_word_embeddings, get)));
}

NamedTensors Qwen2Decoder::named_tensors() const { return weights_->named; }

at::Tensor Qwen2Decoder::embed(const at::Tensor& ids) const {
  return F::embedding(ids.to(device(), at::kLong), weights_->embed);
}

ForwardResult Qwen2Decoder::forward(const at::Tensor& embeds, const KVLayers* past,
                                    std::int64_t start_position, bool capture_queries,
                                    ContextAttention* context) const {
  return forward(embeds, past, text_positions(start_position, embeds.size(0), embeds.size(1), device()),
                 capture_queries, context);
}

ForwardResult Qwen2Decoder::forward(const at::Tensor& embeds, const KVLayers* past,
                                    const at::Tensor& positions, bool capture_queries,
                                    ContextAttention* context) const {
  return run_layers(embeds, past, /*grow=*/nullptr, positions, capture_queries, context);
}

ForwardResult Qwen2Decoder::run_layers(const at::Tensor& embeds, const KVLayers* past,
                                       KVLayers* grow, const at::Tensor& positions,
                                       bool capture_queries, ContextAttention* context) const {
  TORCH_CHECK(embeds.dim() == 3 && embeds.size(2) == config_.hidden_size,
              "Qwen2Decoder::forward: embeds must be [batch, tokens, ", config_.hidden_size,
              "], got ", embeds.sizes());
  const bool has_past = past && !past->empty();
  TORCH_CHECK(!context || !has_past, "Qwen2Decoder::forward: a packed context holds the whole past; pass no dense past");
  TORCH_CHECK(!has_past || static_cast<std::int64_t>(past->size()) == config_.num_hidden_layers,
              "Qwen2Decoder::forward: past has ", has_past ? past->size() : 0, " layers, model ",
              config_.num_hidden_layers);
  if (grow && grow->empty()) grow->resize(static_cast<std::size_t>(config_.num_hidden_layers));
  TORCH_CHECK(!grow || static_cast<std::int64_t>(grow->size()) == config_.num_hidden_layers,
              "Qwen2Decoder::decode: cache has ", grow ? grow->size() : 0, " layers, model ",
              config_.num_hidden_layers);
  const auto B = embeds.size(0), T = embeds.size(1), D = config_.head_dim;
  const auto Hq = config_.num_attention_heads, Hkv = config_.num_key_value_heads;
  const auto dt = dtype();
  at::Tensor x = embeds.to(device(), dt);

  const bool multimodal = positions.dim() == 3;
  TORCH_CHECK((positions.dim() == 2 || (multimodal && positions.size(0) == 3)) &&
                  positions.size(-2) == B && positions.size(-1) == T,
              "Qwen2Decoder::forward: positions must be [", B, ", ", T, "] or [3, ", B, ", ", T,
              "], got ", positions.sizes());
  TORCH_CHECK(!multimodal || !config_.mrope_section.empty(),
              "Qwen2Decoder::forward: [3, batch, tokens] positions need a config with mrope_section");
  // Rotary tables [B, 1, T, D], computed in fp32 and cast (as transformers does).
  at::Tensor freqs = rotary_angles(positions, weights_->inv_freq, config_.mrope_section);
  at::Tensor emb = torch::cat({freqs, freqs}, -1);
  const at::Tensor cos = emb.cos().to(dt).unsqueeze(1), sin = emb.sin().to(dt).unsqueeze(1);

  ForwardResult result;
  for (std::int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const Qwen2Layer& l = weights_->layers[i];
    at::Tensor h = rms_norm(x, l.input_norm, config_.rms_norm_eps);
    at::Tensor q = dense(h, l.q_w, l.q_b).view({B, T, Hq, D}).transpose(1, 2);
    at::Tensor k = dense(h, l.k_w, l.k_b).view({B, T, Hkv, D}).transpose(1, 2);
    at::Tensor v = dense(h, l.v_w, l.v_b).view({B, T, Hkv, D}).transpose(1, 2).contiguous();
    q = q * cos + rotate_half(q) * sin;
    k = (k * cos + rotate_half(k) * sin).contiguous();
    if (capture_queries) result.queries.push_back(q);
    std::int64_t past_len = 0;
    at::Tensor keys = k, values = v;
    if (grow) {
      LayerKV& layer = (*grow)[static_cast<std::size_t>(i)];
      append_in_place(layer, k, v);
      keys = layer.keys;
      values = layer.values;
      past_len = keys.size(2) - T;
    } else if (has_past && (*past)[i].keys.defined() && (*past)[i].keys.size(2) > 0) {
      const LayerKV& p = (*past)[i];
      past_len = p.keys.size(2);
      keys = torch::cat({p.keys.to(device(), dt), k}, 2);
      values = torch::cat({p.values.to(device(), dt), v}, 2);
    }
    at::Tensor attn =
        context ? attention_with_context(q, k, v, *context, i) : causal_attention(q, keys, values, past_len);
    attn = attn.transpose(1, 2).reshape({B, T, Hq * D});
    x = x + dense(attn, l.o_w);
    h = rms_norm(x, l.post_attention_norm, config_.rms_norm_eps);
    x = x + dense(torch::silu(dense(h, l.gate_w)) * dense(h, l.up_w), l.down_w);
    result.kv.push_back({k, v});
  }
  result.hidden = rms_norm(x, weights_->norm, config_.rms_norm_eps);
  return result;
}

at::Tensor Qwen2Decoder::logits(const at::Tensor& hidden) const {
  return dense(hidden, weights_->lm_head);
}

void append_kv(KVLayers& cache, const KVLayers& span) {
  if (cache.empty()) {
    cache = span;
    return;
  }
  TORCH_CHECK(cache.size() == span.size(), "append_kv: layer counts differ");
  for (std::size_t i = 0; i < cache.size(); ++i) {
    cache[i].keys = torch::cat({cache[i].keys, span[i].keys}, 2);
    cache[i].values = torch::cat({cache[i].values, span[i].values}, 2);
  }
}

at::Tensor Qwen2Decoder::decode(const at::Tensor& token_ids, KVLayers& cache, std::int64_t position,
                                ContextAttention* context) const {
  at::Tensor embeds = embed(token_ids.reshape({-1, 1}));
  // Dense cache: the step's K/V go into the cache's spare room and attention reads it there,
  // so a step copies no past K/V (forward + append_kv would copy them twice).
  ForwardResult step =
      context ? forward(embeds, &cache, position, /*capture_queries=*/false, context)
              : run_layers(embeds, nullptr, &cache, text_positions(position, embeds.size(0), 1, device()),
                           /*capture_queries=*/false, nullptr);
  return logits(step.hidden).select(1, 0);
}

std::vector<std::int64_t> Qwen2Decoder::greedy_continue(KVLayers cache, std::int64_t cache_length,
                                                        at::Tensor last_logits,
                                                        std::int64_t max_new_tokens,
                                                        const std::vector<std::int64_t>& stop_ids) const {
  std::vector<std::int64_t> out;
  std::int64_t position = cache_length;
  for (std::int64_t step = 0; step < max_new_tokens; ++step) {
    const std::int64_t next = last_logits.argmax(-1).item<std::int64_t>();
    out.push_back(next);
    if (std::find(stop_ids.begin(), stop_ids.end(), next) != stop_ids.end()) break;
    if (step + 1 == max_new_tokens) break;
    last_logits = decode(torch::full({1}, next, torch::kLong), cache, position++);
  }
  return out;
}

std::vector<std::int64_t> Qwen2Decoder::greedy_generate(const at::Tensor& prompt_embeds,
                                                        std::int64_t max_new_tokens,
                                                        const std::vector<std::int64_t>& stop_ids) const {
  TORCH_CHECK(prompt_embeds.size(0) == 1, "greedy_generate: batch must be 1");
  ForwardResult prefill = forward(prompt_embeds, nullptr, 0);
  at::Tensor last = logits(prefill.hidden.select(1, prefill.hidden.size(1) - 1));
  return greedy_continue(std::move(prefill.kv), prompt_embeds.size(1), last, max_new_tokens,
                         stop_ids);
}

}  // namespace wq::models
