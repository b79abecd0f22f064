// Torch-free entry to the evaluation protocol for experiment kinds: a loaded model plus a
// bounded cache of prepared samples (visual embeddings and the full-precision context cache),
// so that the N methods of a sweep do not redo vision and context prefill N times.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/cache/segment.h"
#include "core/config/params.h"
#include "core/method/kv_method.h"
#include "datasets/dataset.h"

namespace wq::eval {

struct EvalSettings {
  std::string protocol = "cached_video";  // cached_video | full_prefill
  std::int64_t max_new_tokens = 8;
  // Keep the log-probabilities of the first generated token (SampleEvaluation::first_log_probs):
  // what per-window damage measurements compare against a full-precision run.
  bool keep_first_log_probs = false;
  // simulate: the model reads the dequantized cache as dense tensors; packed: the cache stays
  // packed and the model's attention reads it through core/cache's PackedContext (CPU).
  cache::CacheMode cache_mode = cache::CacheMode::simulate;
};

// What one method costs on one prepared sample (protocol steps 5-7).
struct MethodFigures {
  double t_search_ms = 0, t_quant_ms = 0, t_prefill_query_ms = 0, t_decode_per_token_ms = 0;
  double kv_bytes = 0, kv_fp16_bytes = 0;  // the compressed cache as stored, and in fp16
  double bits_nominal = 0, bits_effective = 0;
  // How the model's attention read the compressed context: "dequantized" (dense tensors of the
  // dequantized cache: simulate mode, or packed layers no kernel view describes) or "fused"
  // (packed mode, the kernels read the packed arrays).
  std::string attention_path;
  // Bytes of the allocations holding the context as the model's attention reads it: the dense
  // dequantized tensors (simulate), the packed cache's arrays (packed; on the GPU its device
  // allocations, equal to kv_bytes when the path is fused).
  double kv_allocated_bytes = 0;
  // Peak device memory of this method's phases (compress, query prefill, decode) less what the
  // prepared sample holds for the sweep (its full-precision context and query K/V, kept for the
  // next method): weights, this method's cache and tail, workspaces. CUDA allocator on a GPU;
  // on the CPU the resident-set peak, which also counts everything else the process holds.
  double peak_method_memory_bytes = 0;
};

// One sample under one method: every per-sample figure of protocol.md.
struct SampleEvaluation {
  std::int64_t frames = 0, visual_tokens = 0, prompt_tokens = 0;
  std::string generated;  // decoded reply (after the answer prefix)
  bool context_reused = false;  // vision and context prefill came from the sweep's cache
  double t_vision_ms = 0, t_prefill_ctx_ms = 0;
  MethodFigures method;
  // Peak memory of the sample (CUDA allocator peak on a GPU, resident set on the CPU): the larger
  // of preparing it and of this method's phases, less what the sweep's cache holds for other
  // samples; the same for every method of a sweep, cache warm or not.
  double peak_memory_bytes = 0;
  std::vector<float> first_log_probs;  // [vocab], only with EvalSettings::keep_first_log_probs
};

class Evaluator {
 public:
  // model_params: the validated `model:` section with device resolved; cache_bytes bounds
  // the prepared samples kept (oldest dropped first).
  Evaluator(const Params& model_params, double cache_bytes);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  std::string family() const;
  // Where the model runs and in which dtype, e.g. "cuda:0 bfloat16" (recorded as `ran_on`).
  std::string ran_on() const;
  // Whether packed mode would pack this model's cache on its GPU: a CUDA device, a 16-bit
  // dtype, a build with the CUDA kernels and a head dim they read (what cache.mode auto picks).
  bool packs_on_device() const;
  // Throws DatasetError when the sample's video cannot be read.
  SampleEvaluation evaluate(const Dataset& dataset, std::size_t index, methods::KvMethod& method,
                            const EvalSettings& settings);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process's evaluator for a model section: reused while consecutive runs of a sweep
// name the same model (same YAML), rebuilt when it changes. `key` identifies the section.
Evaluator& shared_evaluator(const Params& model_params, const std::string& key, double cache_bytes);

}  // namespace wq::eval
