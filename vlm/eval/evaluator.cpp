#include "vlm/eval/evaluator.h"

#include <torch/torch.h>

#include <algorithm>
#include <deque>
#include <map>

#include "vlm/eval/device_clock.h"
#include "vlm/eval/packed_kv.h"
#include "vlm/eval/protocol.h"

namespace wq::eval {

struct Evaluator::Impl {
  std::unique_ptr<VideoLm> lm;
  double cache_limit = 0;
  double cached_bytes = 0;
  std::map<std::string, std::shared_ptr<const PreparedSample>> prepared;
  std::map<std::string, double> prepare_peak;  // peak memory of preparing each cached sample
  std::deque<std::string> order;  // insertion order, for eviction

  // Memory on `device` the cache holds for samples other than `sample`: resident, but no part
  // of this sample's peak (a sweep must report the same peak whether or not its cache is warm).
  double others_bytes(const PreparedSample* sample, const at::Device& device) const {
    double total = 0;
    for (const auto& [key, cached] : prepared)
      if (cached.get() != sample) total += static_cast<double>(cached->bytes_on(device));
    return total;
  }

  // The prepared sample (from the cache when `reused`) and the peak memory of preparing it.
  std::shared_ptr<const PreparedSample> prepare(const Dataset& dataset, const Sample& sample, const at::Device& device,
                                                bool& reused, double& peak_bytes) {
    // Everything the prepared context depends on: runs of a sweep over dataset.num_frames (or
    // the sampling rule, or a prompt style) must not reuse each other's context.
    const FrameSampling& sampling = dataset.sampling();
    const PromptParts prompt = dataset.prompt(sample);
    const std::string key = dataset.name() + "\n" + sample.sample_id + "\n" + sample.video_path + "\n" +
                            std::to_string(static_cast<int>(sampling.rule)) + "/" +
                            std::to_string(sampling.num_frames) + "/" + std::to_string(sampling.use_bounds) +
                            "\n" + prompt.system + "\n" + prompt.user + "\n" + prompt.answer_prefix;
    if (auto it = prepared.find(key); it != prepared.end()) {
      reused = true;
      peak_bytes = prepare_peak.at(key);
      return it->second;
    }
    reused = false;
    reset_peak_memory(device);
    const SampleVideo video = dataset.load_video(sample);
    const Frames& f = video.frames;
    const at::Tensor frames = torch::from_blob(const_cast<std::uint8_t*>(f.rgb.data()),
                                               {f.count, f.height, f.width, 3}, torch::kUInt8);
    auto result = std::make_shared<const PreparedSample>(prepare_sample(*lm, frames, prompt));
    peak_bytes = peak_memory_bytes(device) - others_bytes(nullptr, device);
    const double bytes = static_cast<double>(result->bytes());
    while (!order.empty() && cached_bytes + bytes > cache_limit) {
      cached_bytes -= static_cast<double>(prepared.at(order.front())->bytes());
      prepared.erase(order.front());
      prepare_peak.erase(order.front());
      order.pop_front();
    }
    if (bytes <= cache_limit) {
      prepared.emplace(key, result);
      prepare_peak.emplace(key, peak_bytes);
      order.push_back(key);
      cached_bytes += bytes;
    }
    return result;
  }
};

Evaluator::Evaluator(const Params& model_params, double cache_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->lm = VideoLmRegistry::instance().make(model_params.get_string("name"), model_params);
  impl_->cache_limit = cache_bytes;
}

Evaluator::~Evaluator() = default;

std::string Evaluator::family() const { return impl_->lm->family(); }

std::string Evaluator::ran_on() const {
  const models::Qwen2Decoder& llm = impl_->lm->llm();
  // Spelled as model.dtype spells it.
  const at::ScalarType dtype = llm.dtype();
  const char* name = dtype == at::kBFloat16 ? "bfloat16" : dtype == at::kHalf ? "float16" : dtype == at::kFloat ? "float32"
                                                                                                                  : c10::toString(dtype);
  return llm.device().str() + " " + name;
}

bool Evaluator::packs_on_device() const {
  const models::Qwen2Decoder& llm = impl_->lm->llm();
  const bool half = llm.dtype() == at::kBFloat16 || llm.dtype() == at::kHalf;
  return llm.device().is_cuda() && half && cuda_packed_kv_available() &&
         cuda_packed_kv_reads(static_cast<int>(llm.config().head_dim));
}

SampleEvaluation Evaluator::evaluate(const Dataset& dataset, std::size_t index, methods::KvMethod& method,
                                     const EvalSettings& settings) {
  const at::Device device = impl_->lm->llm().device();
  SampleEvaluation e;
  double prepare_peak = 0;
  const auto prepared = impl_->prepare(dataset, dataset.sample(index), device, e.context_reused, prepare_peak);
  reset_peak_memory(device);
  const MethodRun run =
      run_method(*impl_->lm, *prepared, method, parse_protocol(settings.protocol), settings.max_new_tokens,
                 settings.cache_mode);
  // The sample's peak as protocol.md defines it (preparing it, then the method's phases),
  // the same whether this method prepared the sample or found it in the sweep's cache.
  const double method_peak = peak_memory_bytes(device) - impl_->others_bytes(prepared.get(), device);
  e.peak_memory_bytes = std::max(prepare_peak, method_peak);
  e.frames = prepared->video.frames;
  e.visual_tokens = prepared->video.visual_tokens();
  e.prompt_tokens = prepared->prompt.tokens();
  e.generated = run.text;
  e.t_vision_ms = prepared->t_vision_ms;
  e.t_prefill_ctx_ms = prepared->t_prefill_ctx_ms;
  e.method = run.figures;
  e.method.peak_method_memory_bytes = method_peak - static_cast<double>(prepared->bytes_on(device));
  if (settings.keep_first_log_probs) {
    const at::Tensor log_probs = torch::log_softmax(run.first_logits.to(at::kCPU, at::kFloat).flatten(), 0).contiguous();
    e.first_log_probs.assign(log_probs.data_ptr<float>(), log_probs.data_ptr<float>() + log_probs.numel());
  }
  return e;
}

Evaluator& shared_evaluator(const Params& model_params, const std::string& key, double cache_bytes) {
  static std::string current_key;
  static std::unique_ptr<Evaluator> current;
  if (!current || key != current_key) {
    current.reset();  // free the previous model before loading the next
    current = std::make_unique<Evaluator>(model_params, cache_bytes);
    current_key = key;
  }
  return *current;
}

}  // namespace wq::eval
