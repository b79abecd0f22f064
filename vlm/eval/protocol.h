// The evaluation protocol of protocol.md for one sample: steps 3-4 (vision, context prefill)
// once per sample in prepare_sample, shareable by every method of a sweep; steps 5-7
// (compress, query prefill over the compressed cache, greedy decode) per method in
// run_method. Both `cached_video` and `full_prefill` go through the same code.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/cache/kv_cache.h"
#include "core/method/context_description.h"
#include "core/method/kv_method.h"
#include "vlm/eval/evaluator.h"
#include "vlm/eval/video_lm.h"

namespace wq::eval {

enum class Protocol { cached_video, full_prefill };
Protocol parse_protocol(const std::string& name);  // throws listing the choices

// Everything that does not depend on the KV method. Methods only read it.
struct PreparedSample {
  EncodedVideo video;
  VideoPrompt prompt;
  models::KVLayers context_kv;   // full precision, model dtype and device
  models::KVLayers query_kv;     // the query run in full precision over the FP context
  at::Tensor query_last_logits;  // [1, vocab] after that FP query pass (full_prefill decodes from it)
  cache::FullKv context_full;    // context_kv as fp32 on the CPU: what methods plan on
  methods::ContextDescription description;
  double t_vision_ms = 0;
  double t_prefill_ctx_ms = 0;
  double t_prefill_query_fp_ms = 0;
  std::size_t bytes() const;     // host + device memory held (for the sweep's context cache)
  std::size_t bytes_on(const at::Device& device) const;  // the part of bytes() that lives on `device`
};

// frames: uint8 [F, H, W, 3] on the CPU.
PreparedSample prepare_sample(const VideoLm& lm, const at::Tensor& frames, const PromptParts& parts);

struct MethodRun {
  std::vector<std::int64_t> generated_ids;
  std::string text;  // decoded without special tokens
  at::Tensor first_logits;  // [1, vocab] after the last prompt token (what picks the answer letter)
  MethodFigures figures;
};

// mode simulate: the model reads the dequantized context as dense tensors; packed: the context
// stays packed and every attention of the query prefill and of each decode step reads it
// through cache::PackedContext (CPU models; std::invalid_argument on a GPU model).
MethodRun run_method(const VideoLm& lm, const PreparedSample& prepared, methods::KvMethod& method,
                     Protocol protocol, std::int64_t max_new_tokens,
                     cache::CacheMode mode = cache::CacheMode::simulate);

// Rotary positions of prompt tokens [begin, end) as Qwen2Decoder::forward takes them:
// [1, n] for 1-D RoPE, [3, 1, n] for multimodal RoPE.
at::Tensor prompt_positions(const VideoPrompt& prompt, std::int64_t begin, std::int64_t end,
                            const at::Device& device);

}  // namespace wq::eval
