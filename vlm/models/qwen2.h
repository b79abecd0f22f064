// Qwen2 decoder (transformers' Qwen2ForCausalLM): RMSNorm, rotate-half RoPE, grouped-query
// attention with q/k/v biases, SwiGLU MLP, optionally tied embeddings. CPU fp32 and CUDA
// bf16/fp16. The KV cache is exposed as plain per-layer tensors so that a compressed cache
// (core/cache) can be dequantized and handed back in place of the full-precision one.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vlm/models/model_config.h"

namespace wq::models {

class Checkpoint;

struct KvRoom;

// K and V of one layer, post-RoPE: [batch, kv_heads, tokens, head_dim], model dtype.
// After Qwen2Decoder::decode, keys/values are views of a larger buffer (`room`) that later
// steps write into in place instead of concatenating; copies of a LayerKV share it safely
// (a copy that falls behind the buffer's written length reallocates before writing).
struct LayerKV {
  LayerKV() = default;
  LayerKV(at::Tensor k, at::Tensor v) : keys(std::move(k)), values(std::move(v)) {}
  at::Tensor keys;
  at::Tensor values;
  std::shared_ptr<KvRoom> room;  // null unless decode grew this layer
};
using KVLayers = std::vector<LayerKV>;  // one entry per decoder layer

// Parameters under their checkpoint names (training, saving as safetensors).
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct ForwardResult {
  at::Tensor hidden;                // [batch, tokens, hidden] after the final RMSNorm
  KVLayers kv;                      // K,V of this span only (not the past), per layer
  std::vector<at::Tensor> queries;  // [batch, heads, tokens, head_dim] post-RoPE, when captured
};

// A compressed cache the model's attention reads and appends to (packed mode): the packed
// context, then a full-precision tail of the tokens appended since (the query's, each
// generated token's). Implementations read it through the kernels (vlm/eval/packed_kv.h).
class ContextAttention {
 public:
  virtual ~ContextAttention() = default;
  // Attention of q over everything stored (no mask: every stored token precedes q).
  // q: [1, q_heads, tokens, head_dim] post-RoPE, model dtype and device. Returns the output
  // [1, q_heads, tokens, head_dim] (any float dtype) and lse [1, q_heads, tokens] fp32, the
  // natural log of Σ exp(q·k / sqrt(head_dim)) over the stored tokens (−inf when none), on
  // q's device.
  virtual std::pair<at::Tensor, at::Tensor> attend(std::int64_t layer, const at::Tensor& q) const = 0;
  // Appends a span's K/V ([1, kv_heads, n, head_dim], model dtype and device, post-RoPE) to
  // the full-precision tail.
  virtual void append(std::int64_t layer, const at::Tensor& k, const at::Tensor& v) = 0;
};

struct LoadOptions {
  at::ScalarType dtype = at::kFloat;  // kFloat on CPU; kBFloat16 / kHalf on CUDA
  std::string device = "cpu";         // "cpu", "cuda", "cuda:1"
};

struct Qwen2Weights;

class Qwen2Decoder {
 public:
  // Weights `<prefix>embed_tokens.weight`, `<prefix>layers.N....`, `<prefix>norm.weight` and
  // `lm_head` (or the embeddings when lm_head is absent and the config ties them). Every
  // tensor's shape is checked against the config.
  static Qwen2Decoder load(const Checkpoint& checkpoint, const Qwen2Config& config,
                           const std::string& prefix, const std::string& lm_head_name,
                           const LoadOptions& options);
  // A qwen2 checkpoint folder (config.json + safetensors).
  static Qwen2Decoder load(const std::string& folder, const LoadOptions& options);
  // Random weights at the config's real size, for latency and memory measurements only.
  static Qwen2Decoder random(const Qwen2Config& config, const LoadOptions& options,
                             std::uint64_t seed);

  const Qwen2Config& config() const { return config_; }
  // Names relative to the checkpoint prefix ("embed_tokens.weight", "layers.0....",
  // "norm.weight"), plus "lm_head.weight" unless the head is the tied embedding table.
  NamedTensors named_tensors() const;
  at::ScalarType dtype() const;
  at::Device device() const;

  // ids: [batch, tokens] int64 -> [batch, tokens, hidden], model dtype.
  at::Tensor embed(const at::Tensor& ids) const;

  // Runs every layer over `embeds` ([batch, tokens, hidden]) at positions start_position ..
  // start_position + tokens - 1. Attention reads `past` (per-layer K,V of earlier tokens,
  // possibly dequantized from a compressed cache; null or empty for none) and the span
  // itself causally. Returns the span's own K,V; the caller decides what to keep.
  // `context` (packed mode, batch 1, `past` then empty): the compressed cache holding every
  // earlier token. A single token joins it and reads it whole; a longer span reads it and
  // itself causally (merged through the lse), then joins it.
  ForwardResult forward(const at::Tensor& embeds, const KVLayers* past,
                        std::int64_t start_position, bool capture_queries = false,
                        ContextAttention* context = nullptr) const;
  // Same with explicit positions: [batch, tokens] int64, or, when config().mrope_section is
  // set (Qwen2-VL family), [3, batch, tokens]: the temporal/height/width rows of multimodal
  // RoPE (get_rope_index). Each rotary frequency then takes the row of its section; three
  // equal rows give plain RoPE.
  ForwardResult forward(const at::Tensor& embeds, const KVLayers* past,
                        const at::Tensor& positions, bool capture_queries = false,
                        ContextAttention* context = nullptr) const;

  // hidden [batch, tokens, hidden] -> logits [batch, tokens, vocab] (fp32 when the model is).
  at::Tensor logits(const at::Tensor& hidden) const;

  // One decoding step: token_ids [batch] at `position`; appends its K,V to `cache` and
  // returns logits [batch, vocab]. With `context` (as in forward) the step's K/V join the
  // context instead and `cache` stays empty.
  at::Tensor decode(const at::Tensor& token_ids, KVLayers& cache, std::int64_t position,
                    ContextAttention* context = nullptr) const;

  // Greedy decoding after a prompt given as embeddings [1, tokens, hidden]: returns up to
  // max_new_tokens ids, stopping after the first id in stop_ids.
  std::vector<std::int64_t> greedy_generate(const at::Tensor& prompt_embeds,
                                            std::int64_t max_new_tokens,
                                            const std::vector<std::int64_t>& stop_ids = {}) const;
  // Greedy decoding that continues from a cache holding the first `cache_length` positions,
  // with `last_logits` [1, vocab] from the last prompt token.
  std::vector<std::int64_t> greedy_continue(KVLayers cache, std::int64_t cache_length,
                                            at::Tensor last_logits, std::int64_t max_new_tokens,
                                            const std::vector<std::int64_t>& stop_ids = {}) const;

 private:
  Qwen2Decoder(Qwen2Config config, std::shared_ptr<const Qwen2Weights> weights);
  // forward's body. With `grow` (decode; then no past and no context) each layer appends the
  // span's K/V to (*grow)[layer] in place and attends over it.
  ForwardResult run_layers(const at::Tensor& embeds, const KVLayers* past, KVLayers* grow,
                           const at::Tensor& positions, bool capture_queries,
                           ContextAttention* context) const;
  Qwen2Config config_;
  std::shared_ptr<const Qwen2Weights> weights_;
};

// Appends `span` to `cache` along the token axis (an empty cache takes the span as is).
void append_kv(KVLayers& cache, const KVLayers& span);

// Building blocks shared with the Qwen2-VL vision tower.
// transformers' Qwen2RMSNorm: normalised in fp32, cast back, then scaled.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);
// The rotate-half convention of rotary embeddings: [-x2, x1] for halves x1, x2 of the last axis.
at::Tensor rotate_half(const at::Tensor& x);

}  // namespace wq::models
