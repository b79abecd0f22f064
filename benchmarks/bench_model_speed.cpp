// Our LLaVA-OneVision's phases at a real model's shape, to set beside transformers'
// (scripts/gpu_model_speed.sh runs both on one GPU over the same safetensors; the table goes
// to docs/models.md). Two modes:
//   bench_model_speed write <config_folder> <out_folder>
//     random weights at the config's shape (bf16, CUDA, seed 0) written as one
//     model.safetensors under transformers 5's tensor names, with a config.json it loads.
//   bench_model_speed time <weights_folder> <out.json> [context=12608] [query=20] [steps=24]
//     loads the folder (bf16, CUDA) and times, as medians after warm-up: the vision path
//     (tower + projector + pooling) at 16 and 64 frames, the context prefill of `context`
//     tokens, the query prefill of `query` tokens over it (with the last token's logits), and
//     per-token decode at batch 1 and 8 over that prompt. Times are host wall clock between
//     device synchronisations (DeviceTimer), as the Python side measures them, so a decode
//     step's launch overhead counts.
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vlm/eval/device_clock.h"
#include "vlm/models/attention.h"
#include "vlm/models/llava_onevision.h"
#include "vlm/models/safetensors_writer.h"

namespace {

using wq::models::LlavaOnevision;
using wq::models::LoadOptions;
using nlohmann::json;

LoadOptions gpu_bf16() {
  LoadOptions o;
  o.dtype = at::kBFloat16;
  o.device = "cuda";
  return o;
}

// transformers 5.17 saves LLaVA-OneVision's vision tower without the vision_model level
// (tests/data/models/llava_onevision shows its layout) and keeps a post-layernorm that the
// video path never runs: written as identity so that it is not left uninitialised.
wq::models::NamedTensors transformers_names(const LlavaOnevision& model) {
  const std::string released = "vision_tower.vision_model.";
  wq::models::NamedTensors out;
  for (auto& [name, t] : model.named_tensors())
    out.emplace_back(name.rfind(released, 0) == 0 ? "vision_tower." + name.substr(released.size()) : name, t);
  const auto H = model.config().vision.hidden_size;
  const auto options = torch::TensorOptions().dtype(at::kBFloat16);
  out.emplace_back("vision_tower.post_layernorm.weight", torch::ones({H}, options));
  out.emplace_back("vision_tower.post_layernorm.bias", torch::zeros({H}, options));
  return out;
}

// The source config.json with what transformers 5 needs to load it as written: the dtype,
// rope_parameters, no pooling head, the projector bias we drew.
json transformers_config(const std::filesystem::path& config_folder, const LlavaOnevision& model) {
  std::ifstream in(config_folder / "config.json");
  json c = json::parse(in);
  c["dtype"] = "bfloat16";
  c["multimodal_projector_bias"] = model.config().multimodal_projector_bias;
  c["text_config"]["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", model.config().text.rope_theta}};
  c["vision_config"]["vision_use_head"] = false;
  return c;
}

int write_weights(const std::filesystem::path& config_folder, const std::filesystem::path& out) {
  torch::NoGradGuard no_grad;
  const auto config = wq::models::load_model_config(config_folder.string());
  const LlavaOnevision model =
      LlavaOnevision::random(std::get<wq::models::LlavaOnevisionConfig>(config.family), gpu_bf16(), 0);
  std::filesystem::create_directories(out);
  wq::models::write_safetensors((out / "model.safetensors").string(), transformers_names(model),
                                {{"format", "pt"}});
  std::ofstream(out / "config.json") << transformers_config(config_folder, model).dump(1) << "\n";
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median of `reps` timed calls after `warmup` untimed ones.
double median_ms(const at::Device& device, int warmup, int reps, const std::function<void()>& f) {
  for (int i = 0; i < warmup; ++i) f();
  wq::eval::DeviceTimer timer(device);
  std::vector<double> ms;
  for (int i = 0; i < reps; ++i) {
    timer.lap_ms();
    f();
    ms.push_back(timer.lap_ms());
  }
  return median(ms);
}

int time_phases(const std::string& folder, const std::string& out_json, std::int64_t context,
         std::int64_t query, int steps) {
  torch::NoGradGuard no_grad;
  const LlavaOnevision model = LlavaOnevision::load(folder, gpu_bf16());
  const auto& llm = model.llm();
  const at::Device device = llm.device();
  const auto image = model.config().vision.image_size;
  const auto vocab = llm.config().vocab_size;
  json phases;
  auto report = [&](const std::string& phase, double ms) {
    phases[phase] = ms;
    std::printf("%-22s %10.2f ms\n", phase.c_str(), ms);
    std::fflush(stdout);
  };
  torch::manual_seed(0);
  for (const std::int64_t frames : {16, 64}) {
    const at::Tensor pixels = torch::randn({frames, 3, image, image}, torch::TensorOptions().device(device).dtype(at::kBFloat16));
    report("vision_" + std::to_string(frames) + "f",
           median_ms(device, 1, 5, [&] { model.video_features(pixels); }));
  }
  auto random_embeds = [&](std::int64_t batch, std::int64_t tokens) {
    return llm.embed(torch::randint(vocab, {batch, tokens}, torch::kLong));
  };
  const at::Tensor context_embeds = random_embeds(1, context);
  wq::models::KVLayers prompt;
  report("prefill_context", median_ms(device, 1, 3, [&] {
           prompt = llm.forward(context_embeds, nullptr, 0).kv;
         }));
  const at::Tensor query_embeds = random_embeds(1, query);
  wq::models::KVLayers query_kv;
  report("prefill_query", median_ms(device, 2, 10, [&] {
           auto r = llm.forward(query_embeds, &prompt, context);
           llm.logits(r.hidden.select(1, query - 1));
           query_kv = std::move(r.kv);
         }));
  wq::models::append_kv(prompt, query_kv);
  for (const std::int64_t batch : {1, 8}) {
    // Batch b decodes b copies of the prompt (its cache repeated along the batch axis).
    wq::models::KVLayers cache;
    for (const auto& layer : prompt)
      cache.push_back({layer.keys.repeat({batch, 1, 1, 1}), layer.values.repeat({batch, 1, 1, 1})});
    const at::Tensor token = torch::full({batch}, 42, torch::kLong);
    std::int64_t position = context + query;
    std::vector<double> ms;
    wq::eval::DeviceTimer timer(device);
    for (int step = 0; step < steps + 3; ++step) {  // 3 warm-up steps, the first moves the cache
      timer.lap_ms();
      llm.decode(token, cache, position++);
      if (step >= 3) ms.push_back(timer.lap_ms());
    }
    report("decode_b" + std::to_string(batch), median(ms));
  }
  const json result = {{"implementation", "ours"}, {"attention", wq::models::attention_backend()},
                       {"context_tokens", context}, {"query_tokens", query}, {"decode_steps", steps},
                       {"phases", phases}};
  std::ofstream(out_json) << result.dump(1) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "write" && argc == 4) return write_weights(argv[2], argv[3]);
    if (mode == "time" && argc >= 4 && argc <= 7)
      return time_phases(argv[2], argv[3], argc > 4 ? std::stoll(argv[4]) : 12608, argc > 5 ? std::stoll(argv[5]) : 20,
                  argc > 6 ? std::stoi(argv[6]) : 24);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_model_speed: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: bench_model_speed write <config_folder> <out_folder>\n"
               "       bench_model_speed time <weights_folder> <out.json> [context=12608] [query=20] [steps=24]\n");
  return 2;
}
