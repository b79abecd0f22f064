#include "vlm/train/trainer_state.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>
#include <stdexcept>
#include <type_traits>

#include "vlm/models/safetensors.h"
#include "vlm/models/safetensors_writer.h"

namespace wq::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStateJson = "trainer_state.json";
constexpr const char* kShardPrefix = "trainer_state-";
constexpr int kFormat = 1;

// LibTorch keys an optimizer's per-parameter state by the parameter's TensorImpl: as a string
// of its address up to 2.0, as the pointer itself in later releases (the GPU machine's).
template <class StateMap>
typename StateMap::key_type state_key(const StateMap&, const at::Tensor& param) {
  if constexpr (std::is_same_v<typename StateMap::key_type, std::string>) {
    std::ostringstream address;
    address << static_cast<const void*>(param.unsafeGetTensorImpl());
    return address.str();
  } else {
    return param.unsafeGetTensorImpl();
  }
}

at::Tensor to_cpu(const at::Tensor& t, at::ScalarType dtype) {
  return t.detach().to(at::kCPU, dtype).contiguous();
}

void write_json(const fs::path& path, const nlohmann::json& json) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << json.dump(1) << "\n";
    if (!out) throw std::runtime_error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, path);  // atomic: a call cut mid-save keeps the previous state whole
}

nlohmann::json read_state_json(const fs::path& json_path) {
  std::ifstream in(json_path);
  if (!in) throw std::invalid_argument(json_path.string() + ": no trainer state to resume from");
  const nlohmann::json state = nlohmann::json::parse(in);
  if (state.value("format", 0) != kFormat)
    throw std::invalid_argument(json_path.string() + ": unknown trainer state format");
  return state;
}

}  // namespace

void save_trainer_state(const std::string& folder, const models::NamedTensors& params,
                        const torch::optim::AdamW& optimizer, const TrainerProgress& progress,
                        at::ScalarType moments_dtype) {
  std::map<std::string, at::Tensor> tensors;  // sorted by name: stable shard contents
  const auto& states = optimizer.state();
  for (const auto& [name, param] : params) {
    tensors["master." + name] = to_cpu(param, at::kFloat);
    const auto found = states.find(state_key(states, param));
    if (found == states.end()) continue;  // no step has touched it yet
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
    tensors["exp_avg." + name] = to_cpu(s.exp_avg(), moments_dtype);
    tensors["exp_avg_sq." + name] = to_cpu(s.exp_avg_sq(), moments_dtype);
    tensors["step." + name] = torch::full({1}, s.step(), torch::kLong);
  }
  // Shard names carry the step, and the JSON naming them is replaced last: a call killed
  // while saving leaves the previous JSON and its shards intact.
  std::vector<models::NamedTensors> shards(1);
  std::size_t shard_bytes = 0;
  for (const auto& [name, t] : tensors) {
    const std::size_t bytes = t.nbytes();
    if (shard_bytes > 0 && shard_bytes + bytes > kShardBytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace_back(name, t);
    shard_bytes += bytes;
  }
  std::vector<std::string> files;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    char file[64];
    std::snprintf(file, sizeof file, "%sstep%08d-%05zu.safetensors", kShardPrefix, progress.step, i + 1);
    models::write_safetensors((fs::path(folder) / file).string(), shards[i], {{"format", "pt"}});
    files.emplace_back(file);
  }
  write_json(fs::path(folder) / kStateJson,
             {{"format", kFormat}, {"step", progress.step}, {"seconds", progress.seconds}, {"run", progress.run},
              {"moments_dtype", c10::toString(moments_dtype)}, {"shards", files}});
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind(kShardPrefix, 0) == 0 && std::find(files.begin(), files.end(), file) == files.end())
      fs::remove(entry.path());
  }
}

TrainerProgress read_trainer_progress(const std::string& folder, const nlohmann::json& expected_run) {
  const fs::path json_path = fs::path(folder) / kStateJson;
  const nlohmann::json state = read_state_json(json_path);
  if (state["run"] != expected_run)
    throw std::invalid_argument(json_path.string() + ": written for another seed, data or model than the config's");
  TrainerProgress progress;
  progress.step = state["step"].get<int>();
  progress.seconds = state["seconds"].get<double>();
  progress.run = state["run"];
  return progress;
}

void load_trainer_state(const std::string& folder, const models::NamedTensors& params,
                        torch::optim::AdamW& optimizer) {
  const fs::path json_path = fs::path(folder) / kStateJson;
  const nlohmann::json state = read_state_json(json_path);
  std::map<std::string, std::shared_ptr<const models::SafetensorsFile>> where;
  for (const auto& file : state["shards"]) {
    const auto shard = models::SafetensorsFile::open((fs::path(folder) / file.get<std::string>()).string());
    for (const auto& info : shard->header().tensors) where[info.name] = shard;
  }
  auto stored = [&](const std::string& name, const at::Tensor& like) {
    const auto found = where.find(name);
    if (found == where.end()) throw std::invalid_argument(json_path.string() + ": lacks " + name);
    return found->second->tensor(name).to(like.device(), like.scalar_type()).clone();
  };
  torch::NoGradGuard no_grad;
  auto& states = optimizer.state();
  for (const auto& [name, param] : params) {
    param.copy_(stored("master." + name, param));
    if (!where.count("step." + name)) continue;
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(where.at("step." + name)->tensor("step." + name).item<std::int64_t>());
    s->exp_avg(stored("exp_avg." + name, param));
    s->exp_avg_sq(stored("exp_avg_sq." + name, param));
    states[state_key(states, param)] = std::move(s);
  }
}

}  // namespace wq::train
