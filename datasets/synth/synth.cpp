#include "datasets/synth/synth.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "core/config/resolve_params.h"
#include "datasets/dataset.h"
#include "datasets/mvbench/mvbench_dataset.h"
#include "datasets/param_spec.h"
#include "datasets/synth/synth_tasks.h"
#include "datasets/video/sampling.h"
#include "datasets/video/video_reader.h"

namespace wq {
namespace fs = std::filesystem;

const std::vector<std::string>& synth_task_ids() {
  static const std::vector<std::string> ids = {"needle", "attribute_at_event", "event_order", "flash_count",
                                               "motion_direction"};
  return ids;
}

namespace {

const char* task_title(const std::string& id) {
  if (id == "needle") return "Needle Frame";
  if (id == "attribute_at_event") return "Attribute At Event";
  if (id == "event_order") return "Event Order";
  if (id == "flash_count") return "Flash Count";
  return "Motion Direction";
}

void check_range(const char* name, long long value, long long lo, long long hi) {
  if (value < lo || value > hi)
    throw std::invalid_argument(std::string("synthetic: ") + name + " = " + std::to_string(value) + " outside [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

void write_json(const fs::path& path, const nlohmann::json& doc) {
  std::ofstream out(path);
  if (!out) throw DatasetError(path.string() + ": cannot write");
  out << doc.dump(1) << "\n";
  if (!out) throw DatasetError(path.string() + ": write failed");
}

// Question q of a task: its own RNG stream, so any question can be drawn alone.
synth::Question draw_question(const SynthOptions& o, uint64_t task_seed, const std::string& task, uint64_t q,
                              int answer_position) {
  synth::Rng rng(synth::mix_seed(task_seed, q + 1));
  synth::TaskContext ctx{};
  ctx.frames = static_cast<int>(rng.uniform_int(o.frames_min, o.frames_max));
  ctx.width = o.width;
  ctx.height = o.height;
  ctx.difficulty = o.difficulty;
  ctx.num_options = o.num_options;
  ctx.sample_frames = o.sample_frames;
  ctx.answer_position = answer_position;
  return synth::make_question(task, ctx, rng);
}

// What a generated folder records about how it was made (synth_manifest.json).
nlohmann::json synth_manifest(const SynthOptions& o, const std::vector<std::string>& tasks) {
  return {{"generator", "windowquant synthetic v1"}, {"seed", o.seed}, {"questions_per_task", o.questions_per_task},
          {"frames_min", o.frames_min}, {"frames_max", o.frames_max}, {"width", o.width}, {"height", o.height},
          {"difficulty", o.difficulty}, {"num_options", o.num_options}, {"sample_frames", o.sample_frames},
          {"tasks", tasks}};
}

}  // namespace

std::vector<int> synth_answer_positions(const SynthOptions& o, const std::string& task) {
  // Each position the same number of times (+-1), in shuffled order.
  const uint64_t task_seed = synth::mix_seed(o.seed, synth::hash_text(task));
  synth::Rng order_rng(synth::mix_seed(task_seed, 0xba1a9ceULL));
  const int positions = task == "motion_direction" ? std::min(o.num_options, 4) : o.num_options;
  std::vector<int> answer_positions(o.questions_per_task);
  for (int q = 0; q < o.questions_per_task; ++q) answer_positions[q] = q % positions;
  order_rng.shuffle(answer_positions);
  return answer_positions;
}

SynthSample draw_synth_sample(const SynthOptions& o, const std::string& task, uint64_t index, int answer_position,
                              int num_frames) {
  const uint64_t task_seed = synth::mix_seed(o.seed, synth::hash_text(task));
  const synth::Question question = draw_question(o, task_seed, task, index, answer_position);
  SynthSample sample;
  sample.task = task;
  sample.question = question.question;
  sample.candidates = question.candidates;
  sample.answer = question.answer;
  // Frame files are numbered from 1 at 3 fps, exactly what the MVBench adapter reads.
  sample.video_frames = question.scene.frames;
  sample.indices = mvbench_segment_indices(std::nullopt, 3.0, question.scene.frames, 1, num_frames);
  for (const int f : question.evidence) sample.evidence_frames.push_back(f + 1);
  sample.frames.count = static_cast<int>(sample.indices.size());
  sample.frames.width = o.width;
  sample.frames.height = o.height;
  for (const int64_t index1 : sample.indices) {
    const std::vector<uint8_t> rgb = synth::render_frame(question.scene, static_cast<int>(index1 - 1));
    sample.frames.rgb.insert(sample.frames.rgb.end(), rgb.begin(), rgb.end());
  }
  return sample;
}

SynthResult generate_synthetic(const SynthOptions& o) {
  if (o.out_dir.empty()) throw std::invalid_argument("synthetic: out_dir is not set");
  check_range("questions_per_task", o.questions_per_task, 1, 100000);
  check_range("frames_min", o.frames_min, 8, 256);
  check_range("frames_max", o.frames_max, o.frames_min, 256);
  check_range("width", o.width, 32, 512);
  check_range("height", o.height, 32, 512);
  check_range("difficulty", o.difficulty, 1, 5);
  check_range("num_options", o.num_options, 2, 5);
  check_range("sample_frames", o.sample_frames, 4, 256);
  std::vector<std::string> tasks = o.tasks.empty() ? synth_task_ids() : o.tasks;
  for (const std::string& t : tasks)
    if (std::find(synth_task_ids().begin(), synth_task_ids().end(), t) == synth_task_ids().end())
      throw std::invalid_argument("synthetic: unknown task '" + t + "'");

  const fs::path root(o.out_dir);
  std::error_code ec;
  fs::create_directories(root / "json", ec);
  if (ec) throw DatasetError(root.string() + ": cannot create output folder (" + ec.message() + ")");
  SynthResult result;
  nlohmann::json table = nlohmann::json::array();

  for (const std::string& task : tasks) {
    const uint64_t task_seed = synth::mix_seed(o.seed, synth::hash_text(task));
    const std::vector<int> answer_positions = synth_answer_positions(o, task);

    const std::string prefix = "synthetic/" + task;
    nlohmann::json items = nlohmann::json::array();
    for (int q = 0; q < o.questions_per_task; ++q) {
      const synth::Question question = draw_question(o, task_seed, task, q, answer_positions[q]);
      const int frames = question.scene.frames;

      char video_id[64];
      std::snprintf(video_id, sizeof(video_id), "%s_%04d", task.c_str(), q);
      const fs::path folder = root / "video" / prefix / video_id;
      fs::remove_all(folder, ec);  // stale files would change the folder's frame count
      fs::create_directories(folder, ec);
      if (ec) throw DatasetError(folder.string() + ": cannot create (" + ec.message() + ")");
      for (int f = 0; f < frames; ++f) {
        char name[16];
        std::snprintf(name, sizeof(name), "%05d.jpg", f + 1);
        const std::vector<uint8_t> rgb = synth::render_frame(question.scene, f);
        write_image((folder / name).string(), rgb.data(), o.width, o.height);
      }
      result.frames_written += frames;

      // Evidence in the reader's index space: frame files are numbered from 1.
      nlohmann::json evidence = nlohmann::json::array(), probes = nlohmann::json::array();
      for (int f : question.evidence) evidence.push_back(f + 1);
      for (const synth::Probe& p : question.probes)
        probes.push_back({{"frame", p.frame + 1}, {"x", p.x}, {"y", p.y}, {"colour", p.colour.name},
                          {"rgb", {p.colour.rgb[0], p.colour.rgb[1], p.colour.rgb[2]}}});
      items.push_back({{"video", video_id},
                       {"question", question.question},
                       {"candidates", question.candidates},
                       {"answer", question.candidates[question.answer]},
                       {"num_frames", frames},
                       {"evidence_frames", evidence},
                       {"evidence_probes", probes}});
      ++result.questions;
    }
    write_json(root / "json" / (task + ".json"), items);
    table.push_back({{"id", task}, {"title", task_title(task)}, {"json", task + ".json"}, {"prefix", prefix},
                     {"data_type", "frame"}, {"bound", false}});
    result.tasks.push_back(task);
  }
  write_json(root / "task_table.json", {{"tasks", table}});
  write_json(root / "synth_manifest.json", synth_manifest(o, tasks));
  result.task_table = (root / "task_table.json").string();
  return result;
}

std::vector<ParamSpec> synth_param_specs() {
  return {
      dataset_param("out", ParamType::String, "", "output folder (MVBench layout; created)"),
      dataset_param("seed", ParamType::Int, "0", "generator seed", {}, 0, std::nullopt),
      dataset_param("questions_per_task", ParamType::Int, "20", "questions (= videos) per task", {}, 1, 100000),
      dataset_param("frames_min", ParamType::Int, "32", "shortest video, frames", {}, 8, 256),
      dataset_param("frames_max", ParamType::Int, "32", "longest video, frames", {}, 8, 256),
      dataset_param("width", ParamType::Int, "64", "frame width, px", {}, 32, 512),
      dataset_param("height", ParamType::Int, "64", "frame height, px", {}, 32, 512),
      dataset_param("difficulty", ParamType::Int, "2", "1 (easy) .. 5: distractors, event length, shape size", {}, 1, 5),
      dataset_param("num_options", ParamType::Int, "4", "candidates per question", {}, 2, 5),
      dataset_param("sample_frames", ParamType::Int, "16", "frames of the sampler the events are aligned to", {}, 4, 256),
      dataset_param("tasks", ParamType::StringList, "[]", "task families; [] = all", synth_task_ids()),
  };
}

SynthOptions synth_options_from(const Params& params) {
  SynthOptions o;
  o.out_dir = params.get_string("out");
  o.seed = static_cast<uint64_t>(params.get_int("seed"));
  o.questions_per_task = static_cast<int>(params.get_int("questions_per_task"));
  o.frames_min = static_cast<int>(params.get_int("frames_min"));
  o.frames_max = static_cast<int>(params.get_int("frames_max"));
  o.width = static_cast<int>(params.get_int("width"));
  o.height = static_cast<int>(params.get_int("height"));
  o.difficulty = static_cast<int>(params.get_int("difficulty"));
  o.num_options = static_cast<int>(params.get_int("num_options"));
  o.sample_frames = static_cast<int>(params.get_int("sample_frames"));
  o.tasks = params.get_string_list("tasks");
  return o;
}

namespace {

std::vector<ParamSpec> synthetic_dataset_specs() {
  std::vector<ParamSpec> specs = mvbench_param_specs("\"\"");
  // root may not exist yet when `generate` will write it, so it is not a checked Path here.
  for (ParamSpec& spec : specs)
    if (spec.name == "root") {
      spec.type = ParamType::String;
      spec.help = "benchmark folder (wq synth output; relative to the working directory)";
    }
  specs.push_back(dataset_param("generate", ParamType::Map, "{}",
                                "wq synth parameters (seed, questions_per_task, ...): write the benchmark into "
                                "root first unless root already holds it (same synth_manifest.json); {} = root "
                                "must exist"));
  return specs;
}

// Writes the benchmark next to root and renames it into place, so that workers of one sweep
// starting together never read a half-written folder. A root this generator wrote with other
// parameters (its synth_manifest.json differs) is replaced; an up-to-date one is kept.
void generate_into(const std::string& root, const YAML::Node& settings) {
  YAML::Node values = YAML::Clone(settings);
  if (!values["seed"]) values["seed"] = 0;
  values["out"] = root;
  const SynthOptions wanted = synth_options_from(resolve_params(synth_param_specs(), values, "dataset.generate"));
  const nlohmann::json manifest =
      synth_manifest(wanted, wanted.tasks.empty() ? synth_task_ids() : wanted.tasks);
  const fs::path manifest_path = fs::path(root) / "synth_manifest.json";
  auto holds_it = [&] {
    std::ifstream in(manifest_path);
    return in && nlohmann::json::parse(in, nullptr, false) == manifest;
  };
  // A benchmark from elsewhere (no manifest) is read as it is.
  if (fs::exists(fs::path(root) / "task_table.json") && (!fs::exists(manifest_path) || holds_it())) return;
  SynthOptions staged = wanted;
  staged.out_dir = root + ".partial-" + std::to_string(::getpid());
  generate_synthetic(staged);
  std::error_code ec;
  if (holds_it()) {  // another worker of the sweep was faster
    fs::remove_all(staged.out_dir, ec);
    return;
  }
  if (fs::exists(manifest_path)) fs::remove_all(root, ec);  // ours, made with other parameters
  fs::rename(staged.out_dir, root, ec);
  if (ec) fs::remove_all(staged.out_dir);
}

// The generated benchmark is read by the MVBench adapter through the task table the
// generator wrote; only the default of task_table differs from "mvbench".
bool generates(const Params& params) {
  const YAML::Node generate = params.node("generate");
  return generate.IsMap() && generate.size() > 0;
}

std::unique_ptr<Dataset> make_synthetic(const Params& params) {
  MvbenchOptions o = mvbench_options_from(params);
  o.dataset_name = "synthetic";
  if (generates(params)) generate_into(o.root, params.node("generate"));
  if (o.task_table.empty()) o.task_table = (fs::path(o.root) / "task_table.json").string();
  return std::make_unique<MvbenchDataset>(o);
}

// A root that `generate` will write is not checked (nothing is generated while validating).
std::string inspect_synthetic(const Params& params) {
  if (generates(params)) return "";
  const std::string root = params.get_string("root");
  if (!fs::is_directory(root))
    params.fail("root", "'" + root + "' is not a folder; point it at wq synth output or set dataset.generate to write it");
  return inspect_by_building(make_synthetic)(params);
}

const Registration<Dataset> synthetic_registration{{
    "synthetic",
    "Synthetic shapes video-QA (wq synth output, MVBench layout, evidence frames recorded)",
    synthetic_dataset_specs(),
    make_synthetic,
    inspect_synthetic,
}};
}  // namespace

}  // namespace wq
