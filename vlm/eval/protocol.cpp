// Protocol steps 3-7 (see protocol.h and ../shared/specs/protocol.md).
#include "vlm/eval/protocol.h"

#include <torch/torch.h>

#include <memory>
#include <stdexcept>

#include "core/cache/context_attention.h"
#include "core/cache/kv_bits.h"
#include "vlm/eval/dense_tail_rule.h"
#include "vlm/eval/device_clock.h"
#include "vlm/eval/packed_kv.h"

namespace wq::eval {
namespace {

// [1, kv_heads, T, D] per layer (any dtype/device) -> FullKv fp32 on the CPU.
cache::FullKv to_full_kv(const models::KVLayers& layers) {
  const auto& first = layers.at(0).keys;
  cache::FullKv kv(static_cast<int>(layers.size()), static_cast<int>(first.size(1)),
                   static_cast<int>(first.size(2)), static_cast<int>(first.size(3)));
  const std::size_t layer_elems = static_cast<std::size_t>(kv.kv_heads) * kv.tokens * kv.head_dim;
  for (int l = 0; l < kv.layers; ++l) {
    const at::Tensor k = layers[l].keys[0].to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor v = layers[l].values[0].to(at::kCPU, at::kFloat).contiguous();
    std::copy_n(k.data_ptr<float>(), layer_elems, kv.k.begin() + l * layer_elems);
    std::copy_n(v.data_ptr<float>(), layer_elems, kv.v.begin() + l * layer_elems);
  }
  return kv;
}

// FullKv (fp32 CPU) -> [1, kv_heads, T, D] per layer in the model's dtype and device.
models::KVLayers to_kv_layers(const cache::FullKv& kv, const models::Qwen2Decoder& llm) {
  models::KVLayers out;
  const std::size_t layer_elems = static_cast<std::size_t>(kv.kv_heads) * kv.tokens * kv.head_dim;
  const auto shape = std::vector<std::int64_t>{1, kv.kv_heads, kv.tokens, kv.head_dim};
  for (int l = 0; l < kv.layers; ++l) {
    auto k = torch::from_blob(const_cast<float*>(kv.k.data()) + l * layer_elems, shape, at::kFloat);
    auto v = torch::from_blob(const_cast<float*>(kv.v.data()) + l * layer_elems, shape, at::kFloat);
    out.push_back({k.to(llm.device(), llm.dtype()).clone(), v.to(llm.device(), llm.dtype()).clone()});
  }
  return out;
}

std::vector<float> to_float_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

methods::ContextDescription describe(const VideoLm& lm, const PreparedSample& p,
                                     const at::Tensor& query_embeds,
                                     const std::vector<at::Tensor>& probe_queries) {
  methods::ContextDescription d;
  d.context_tokens = static_cast<int>(p.prompt.context_ids.size());
  d.visual_positions = p.prompt.visual_positions;
  d.frame_index = p.prompt.frame_index;
  d.spatial_index = p.prompt.spatial_index;
  d.query_token_ids.assign(p.prompt.query_ids.begin(), p.prompt.query_ids.end());
  d.hidden = static_cast<int>(lm.llm().config().hidden_size);
  d.query_embeddings = to_float_vector(query_embeds[0]);
  d.visual_embeddings = to_float_vector(p.video.embeddings);
  d.probe_heads = static_cast<int>(lm.llm().config().num_attention_heads);
  for (const at::Tensor& q : probe_queries) d.probe_queries.push_back(to_float_vector(q[0]));
  return d;
}

// Greedy decoding after the prompt: `cache` holds every prompt token, `logits` [1, vocab]
// the last prompt token's; `tail_rule` (simulate mode) runs after every step, inside its time
// as packed mode's runs inside append. Returns the ids and the mean time per decoded token.
std::pair<std::vector<std::int64_t>, double> greedy_decode(const VideoLm& lm, models::KVLayers cache,
                                                           models::ContextAttention* context,
                                                           DenseTailRule* tail_rule, at::Tensor logits,
                                                           const VideoPrompt& prompt, std::int64_t max_new_tokens) {
  const auto stop = lm.stop_ids();
  std::vector<std::int64_t> ids;
  DeviceTimer timer(lm.llm().device());
  double decode_ms = 0;
  std::int64_t steps = 0;
  for (std::int64_t i = 0; i < max_new_tokens; ++i) {
    const std::int64_t next = logits.argmax(-1).item<std::int64_t>();
    ids.push_back(next);
    if (std::find(stop.begin(), stop.end(), next) != stop.end() || i + 1 == max_new_tokens) break;
    timer.lap_ms();
    logits = lm.llm().decode(torch::full({1}, next, torch::kLong), cache,
                             prompt.tokens() + i + prompt.position_delta, context);
    if (tail_rule) tail_rule->apply(cache);
    decode_ms += timer.lap_ms();
    ++steps;
  }
  return {ids, steps > 0 ? decode_ms / steps : 0.0};
}

}  // namespace

Protocol parse_protocol(const std::string& name) {
  if (name == "cached_video") return Protocol::cached_video;
  if (name == "full_prefill") return Protocol::full_prefill;
  throw std::invalid_argument("unknown protocol '" + name + "' (expected cached_video or full_prefill)");
}

at::Tensor prompt_positions(const VideoPrompt& prompt, std::int64_t begin, std::int64_t end,
                            const at::Device& device) {
  if (!prompt.positions.defined())
    return torch::arange(begin, end, torch::TensorOptions().dtype(at::kLong)).unsqueeze(0).to(device);
  at::Tensor p = prompt.positions.slice(-1, begin, end);
  return (p.size(0) == 1 ? p[0] : p).to(device);
}

std::size_t PreparedSample::bytes() const {
  std::size_t total = (context_full.k.size() + context_full.v.size()) * sizeof(float);
  for (const auto* layers : {&context_kv, &query_kv})
    for (const auto& l : *layers) total += l.keys.nbytes() + l.values.nbytes();
  total += video.embeddings.defined() ? video.embeddings.nbytes() : 0;
  for (const auto& q : description.probe_queries) total += q.size() * sizeof(float);
  return total;
}

std::size_t PreparedSample::bytes_on(const at::Device& device) const {
  std::size_t total = device.is_cpu() ? (context_full.k.size() + context_full.v.size()) * sizeof(float) : 0;
  if (device.is_cpu())
    for (const auto& q : description.probe_queries) total += q.size() * sizeof(float);
  auto add = [&](const at::Tensor& t) {
    if (t.defined() && t.device() == device) total += t.nbytes();
  };
  for (const auto* layers : {&context_kv, &query_kv})
    for (const auto& l : *layers) {
      add(l.keys);
      add(l.values);
    }
  add(video.embeddings);
  return total;
}

PreparedSample prepare_sample(const VideoLm& lm, const at::Tensor& frames, const PromptParts& parts) {
  torch::NoGradGuard no_grad;
  const auto& llm = lm.llm();
  PreparedSample p;
  DeviceTimer timer(llm.device());
  p.video = lm.encode_video(frames);
  p.t_vision_ms = timer.lap_ms();
  p.prompt = lm.build_prompt(parts, p.video);
  const auto context = static_cast<std::int64_t>(p.prompt.context_ids.size());
  const at::Tensor context_embeds = lm.embed(p.prompt.context_ids, p.video);
  timer.lap_ms();
  p.context_kv = llm.forward(context_embeds, nullptr, prompt_positions(p.prompt, 0, context, llm.device())).kv;
  p.t_prefill_ctx_ms = timer.lap_ms();

  // The query in full precision over the full-precision context: its queries are the probe
  // that query-aware methods may use, and its K/V and logits are full_prefill's prompt end.
  const at::Tensor query_embeds = lm.embed(p.prompt.query_ids, p.video);
  timer.lap_ms();
  models::ForwardResult query = llm.forward(
      query_embeds, &p.context_kv, prompt_positions(p.prompt, context, p.prompt.tokens(), llm.device()),
      /*capture_queries=*/true);
  p.query_last_logits = llm.logits(query.hidden.select(1, query.hidden.size(1) - 1));
  p.t_prefill_query_fp_ms = timer.lap_ms();
  p.query_kv = std::move(query.kv);
  p.context_full = to_full_kv(p.context_kv);
  p.description = describe(lm, p, query_embeds, query.queries);
  return p;
}

MethodRun run_method(const VideoLm& lm, const PreparedSample& p, methods::KvMethod& method,
                     Protocol protocol, std::int64_t max_new_tokens, cache::CacheMode mode) {
  torch::NoGradGuard no_grad;
  const auto& llm = lm.llm();
  MethodRun run;
  // full_prefill compresses the whole prompt, query included, after the FP prefill.
  cache::FullKv full_prompt;
  methods::ContextDescription whole;
  const cache::FullKv* kv = &p.context_full;
  const methods::ContextDescription* description = &p.description;
  models::KVLayers device_kv = p.context_kv;  // the same K/V in the model's dtype and device
  if (protocol == Protocol::full_prefill) {
    models::append_kv(device_kv, p.query_kv);
    full_prompt = to_full_kv(device_kv);
    whole = p.description;
    whole.context_tokens = full_prompt.tokens;
    kv = &full_prompt;
    description = &whole;
  }

  // Packed on a GPU: core/cache only lays the cache out (segments and exact accounting, no
  // values); the GPU packs it from the context K/V that never left the device.
  const bool gpu_packed = mode == cache::CacheMode::packed && !llm.device().is_cpu();
  DeviceTimer timer(llm.device());
  const methods::CompressedKv result = methods::compress_timed(
      method, *kv, *description, gpu_packed ? cache::CacheMode::layout : mode, &timer);
  const cache::KvCache& compressed = result.cache;
  run.figures.t_search_ms = result.t_search_ms;
  // simulate: the dequantized context as the model's dense past; packed: the context stays
  // packed (read through `packed`) and the model's own cache holds only the tail.
  models::KVLayers cache;
  std::unique_ptr<PackedKv> packed;
  if (mode == cache::CacheMode::packed) {
    packed = gpu_packed ? cuda_packed_kv(device_kv, result.plan, *kv) : cpu_packed_kv(compressed, result.plan.tail);
    run.figures.attention_path = packed->attention_path();
    run.figures.kv_allocated_bytes = packed->allocated_bytes();
  } else {
    cache = to_kv_layers(cache::dequantize_context(compressed), llm);
    run.figures.attention_path = cache::attention_path_name(cache::AttentionPath::dequantized);
    for (const auto& layer : cache) run.figures.kv_allocated_bytes += double(layer.keys.nbytes() + layer.values.nbytes());
  }
  run.figures.t_quant_ms = result.t_quant_ms + timer.lap_ms();

  std::vector<std::uint8_t> visual(static_cast<std::size_t>(kv->tokens), 0);
  for (const auto pos : p.prompt.visual_positions) visual[static_cast<std::size_t>(pos)] = 1;
  const cache::KvBits bits = cache::kv_bits(compressed, visual);
  const cache::CacheBytes bytes = cache::cache_bytes(compressed);
  run.figures.bits_nominal = bits.nominal();
  run.figures.bits_effective = bits.effective();
  run.figures.kv_bytes = bytes.stored;
  run.figures.kv_fp16_bytes = bytes.fp16;

  // KIVI's decode-time residual: packed caches apply it as tokens are appended; simulate
  // mode's dense cache here, after each forward.
  std::unique_ptr<DenseTailRule> dense_tail_rule;
  if (!packed) dense_tail_rule = std::make_unique<DenseTailRule>(result.plan.tail, kv->tokens);
  at::Tensor logits = p.query_last_logits;
  if (protocol == Protocol::cached_video) {
    const auto context = static_cast<std::int64_t>(p.prompt.context_ids.size());
    const at::Tensor query_embeds = lm.embed(p.prompt.query_ids, p.video);
    timer.lap_ms();
    models::ForwardResult query =
        llm.forward(query_embeds, &cache, prompt_positions(p.prompt, context, p.prompt.tokens(), llm.device()),
                    /*capture_queries=*/false, packed.get());
    logits = llm.logits(query.hidden.select(1, query.hidden.size(1) - 1));
    run.figures.t_prefill_query_ms = timer.lap_ms();
    // The query's own K/V stay full precision (packed: the forward appended them to its tail).
    if (!packed) {
      models::append_kv(cache, query.kv);
      dense_tail_rule->apply(cache);
    }
  } else {
    run.figures.t_prefill_query_ms = p.t_prefill_query_fp_ms;
  }
  run.first_logits = logits.to(at::kCPU, at::kFloat);
  auto [ids, per_token] =
      greedy_decode(lm, std::move(cache), packed.get(), dense_tail_rule.get(), logits, p.prompt, max_new_tokens);
  run.generated_ids = std::move(ids);
  run.figures.t_decode_per_token_ms = per_token;
  std::vector<tokenizer::TokenId> token_ids(run.generated_ids.begin(), run.generated_ids.end());
  run.text = lm.tokenizer().decode(token_ids, /*skip_special_tokens=*/true);
  return run;
}

}  // namespace wq::eval
