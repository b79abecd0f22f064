// What the non-finite weight check (WeightLoader::get: one isfinite reduction per tensor at
// the load dtype, on the load device) costs beside loading itself, at a real model's tensor
// sizes: N decoder layers of Qwen2-7B (hidden 3584, intermediate 18944, 4 KV heads of 128)
// are written as one bf16 safetensors file, then loaded tensor by tensor through
// WeightLoader::get (load + check) and through the same conversion without the check
// (Checkpoint::get -> to(device, dtype) -> contiguous), alternating, 5 repetitions each,
// medians printed. The file is in the page cache after writing, so `load` is a warm load, the
// smallest load time a real run sees: the check's share of a cold load from disk is smaller.
// Where the load is a view of the mapped file (CPU, stored dtype) the check is the first
// touch of every page, which the first forward would otherwise pay.
//   bench_weight_load [layers=2] [folder=/tmp]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "vlm/models/safetensors.h"
#include "vlm/models/safetensors_writer.h"
#include "vlm/models/weights.h"

namespace {

using wq::models::NamedTensors;

NamedTensors qwen2_7b_layers(int layers) {
  const std::int64_t hidden = 3584, intermediate = 18944, kv = 4 * 128;
  const auto bf16 = torch::TensorOptions().dtype(torch::kBFloat16);
  NamedTensors tensors;
  for (int l = 0; l < layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const auto& [name, rows, cols] : std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>{
             {"self_attn.q_proj.weight", hidden, hidden}, {"self_attn.k_proj.weight", kv, hidden},
             {"self_attn.v_proj.weight", kv, hidden}, {"self_attn.o_proj.weight", hidden, hidden},
             {"mlp.gate_proj.weight", intermediate, hidden}, {"mlp.up_proj.weight", intermediate, hidden},
             {"mlp.down_proj.weight", hidden, intermediate}})
      tensors.emplace_back(p + name, torch::randn({rows, cols}, bf16).mul_(0.02));
    tensors.emplace_back(p + "input_layernorm.weight", torch::ones({hidden}, bf16));
  }
  return tensors;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int layers = argc > 1 ? std::stoi(argv[1]) : 2;
  const std::string folder = argc > 2 ? argv[2] : "/tmp";
  const std::string path = folder + "/wq_bench_weight_load.safetensors";
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> names;
  {
    const NamedTensors tensors = qwen2_7b_layers(layers);
    for (const auto& [name, t] : tensors) names.emplace_back(name, t.sizes().vec());
    wq::models::write_safetensors(path, tensors);
  }
  const auto checkpoint = wq::models::Checkpoint::open(path);
  const double gib = static_cast<double>(std::filesystem::file_size(path)) / (1 << 30);
  std::vector<std::pair<std::string, at::ScalarType>> targets = {{"cpu", at::kFloat}, {"cpu", at::kBFloat16}};
  if (torch::cuda::is_available()) targets.insert(targets.end(), {{"cuda", at::kBFloat16}, {"cuda", at::kHalf}});
  std::printf("%d Qwen2-7B layers, %.2f GiB bf16 (%s)\n", layers, gib, path.c_str());
  std::printf("%-5s %-9s %12s %18s %10s\n", "dev", "dtype", "load_ms", "load+check_ms", "check/load");
  for (const auto& [device, dtype] : targets) {
    const wq::models::LoadOptions options{dtype, device};
    const wq::models::WeightLoader loader(checkpoint, options);
    auto timed = [&](bool check) {
      if (device == "cuda") torch::cuda::synchronize();
      const auto start = std::chrono::steady_clock::now();
      for (const auto& [name, shape] : names) {
        at::Tensor t = check ? loader.get(name, shape)
                             : checkpoint.get(name, shape).to(at::Device(device), dtype).contiguous();
        if (device == "cuda") torch::cuda::synchronize();
      }
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    timed(true);  // warm-up: pages in, CUDA context, allocator
    std::vector<double> plain, checked;
    for (int rep = 0; rep < 5; ++rep) {
      plain.push_back(timed(false));
      checked.push_back(timed(true));
    }
    const double load = median(plain), both = median(checked);
    // On the CPU at the stored dtype a load is a view of the mapped file (no copy): no ratio.
    char share[32] = "view";
    if (load >= 0.05) std::snprintf(share, sizeof share, "%.1f%%", 100.0 * (both - load) / load);
    std::printf("%-5s %-9s %12.1f %18.1f %10s\n", device.c_str(), c10::toString(dtype), load, both, share);
  }
  std::filesystem::remove(path);
  return 0;
}
