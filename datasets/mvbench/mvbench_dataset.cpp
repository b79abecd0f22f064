#include "datasets/mvbench/mvbench_dataset.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/config/registry.h"
#include "datasets/param_spec.h"

namespace wq {
namespace fs = std::filesystem;

MvbenchDataset::MvbenchDataset(MvbenchOptions options) : options_(std::move(options)) {
  if (options_.root.empty()) throw DatasetError("mvbench: dataset.root is not set");
  table_ = options_.task_table.empty() ? mvbench_official_tasks() : read_task_table(options_.task_table);
  const bool lmms = options_.preset == MvbenchPreset::LmmsEval;
  scoring_ = parse_mvbench_scoring(options_.scoring.empty() ? (lmms ? "lmms_eval" : "official") : options_.scoring);
  sampling_.rule = lmms ? SamplingRule::Linspace : SamplingRule::SegmentMiddle;
  sampling_.num_frames = options_.num_frames > 0 ? options_.num_frames : (lmms ? 32 : 16);
  sampling_.use_bounds = !lmms;

  if (!options_.tasks.empty()) {
    std::vector<MvbenchTask> chosen;
    for (const std::string& id : options_.tasks) {
      auto it = std::find_if(table_.begin(), table_.end(), [&](const MvbenchTask& t) { return t.id == id; });
      if (it == table_.end()) throw DatasetError("mvbench: unknown task '" + id + "'");
      chosen.push_back(*it);
    }
    table_ = chosen;
  }
  for (const MvbenchTask& task : table_) load_task(task);
  if (options_.max_samples > 0) keep_round_robin(static_cast<size_t>(options_.max_samples));
}

std::vector<std::string> MvbenchDataset::tasks() const {
  std::vector<std::string> out;
  for (const MvbenchTask& task : table_) out.push_back(task.id);
  return out;
}

void MvbenchDataset::load_task(const MvbenchTask& task) {
  const bool lmms = options_.preset == MvbenchPreset::LmmsEval;
  const std::string path = (fs::path(options_.root) / options_.json_dir / task.json_file).string();
  std::ifstream in(path);
  if (!in) throw DatasetError(path + ": cannot open MVBench task file");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw DatasetError(path + ": invalid JSON (" + e.what() + ")");
  }
  if (!doc.is_array()) throw DatasetError(path + ": expected a list of questions");
  const fs::path folder = fs::path(options_.root) / options_.video_dir / (lmms ? task.lmms_prefix : task.prefix);
  const SourceKind source = lmms ? task.lmms_source : task.source;
  size_t index = 0;
  for (const auto& item : doc) {
    if (options_.limit_per_task > 0 && index >= static_cast<size_t>(options_.limit_per_task)) break;
    char id[16];
    std::snprintf(id, sizeof(id), "%04zu", index);
    Sample s;
    s.sample_id = task.id + "/" + id;
    try {
      s.task = task.id;
      s.video_id = item.at("video").get<std::string>();
      s.video_path = (folder / s.video_id).string();
      s.source = source;
      s.fixed_fps = source == SourceKind::FrameFolder ? 3.0 : source == SourceKind::Gif ? 25.0 : 0.0;
      s.question = item.at("question").get<std::string>();
      s.candidates = item.at("candidates").get<std::vector<std::string>>();
      s.answer_text = item.at("answer").get<std::string>();
      // The notebook's loop keeps the last equal candidate and leaves -1 ("@") when none
      // is equal; lmms-eval takes the first and has no letter (None) otherwise.
      int answer_idx = -1;
      for (size_t i = 0; i < s.candidates.size(); ++i)
        if (s.candidates[i] == s.answer_text && (answer_idx < 0 || !lmms)) answer_idx = static_cast<int>(i);
      s.answer_letter = answer_idx >= 0 || !lmms ? option_letter(answer_idx) : "";
      if (task.bound) s.bound = std::make_pair(item.at("start").get<double>(), item.at("end").get<double>());
      if (item.contains("evidence_frames")) s.evidence_frames = item["evidence_frames"].get<std::vector<int64_t>>();
      for (const char* key : {"accurate_start", "accurate_end", "question_type"})
        if (item.contains(key)) s.extra[key] = item[key].dump();
    } catch (const nlohmann::json::exception& e) {
      throw DatasetError(path + ": item " + std::to_string(index) + ": " + e.what());
    }
    samples_.push_back(std::move(s));
    ++index;
  }
}

PromptParts MvbenchDataset::prompt(const Sample& sample) const {
  return mvbench_prompt(options_.preset, sample.question, sample.candidates);
}

Score MvbenchDataset::score(const Sample& sample, const std::string& generated) const {
  switch (scoring_) {
    case MvbenchScoring::Official: return mvbench_score_official(generated, sample.answer_letter, sample.answer_text);
    case MvbenchScoring::Strict: return mvbench_score_strict(generated, sample.answer_letter);
    case MvbenchScoring::LmmsEval: return mvbench_score_lmms_eval(generated, sample.answer_letter);
  }
  return {};
}

MvbenchOptions mvbench_options_from(const Params& params) {
  MvbenchOptions o;
  o.root = params.get_string("root");
  o.json_dir = params.get_string("json_dir");
  o.video_dir = params.get_string("video_dir");
  o.tasks = params.get_string_list("tasks");
  o.task_table = params.get_string("task_table");
  o.preset = parse_mvbench_preset(params.get_string("preset"));
  o.num_frames = static_cast<int>(params.get_int("num_frames"));
  o.scoring = params.get_string("scoring");
  o.limit_per_task = static_cast<int>(params.get_int("limit_per_task"));
  o.max_samples = static_cast<int>(params.get_int("max_samples"));
  return o;
}

std::vector<ParamSpec> mvbench_param_specs(const std::string& default_task_table) {
  std::vector<ParamSpec> specs = {
      dataset_param("root", ParamType::Path, "", "MVBench root (holds json/ and video/)"),
      dataset_param("json_dir", ParamType::String, "json", "task JSON folder under root"),
      dataset_param("video_dir", ParamType::String, "video", "video folder under root"),
      dataset_param("tasks", ParamType::StringList, "[]", "task ids to run; [] = all"),
      dataset_param("task_table", ParamType::Path, default_task_table, "task table JSON; \"\" = the official 20 tasks"),
      dataset_param("preset", ParamType::String, "official", "prompt/sampling/scoring preset", {"official", "lmms_eval"}),
      dataset_param("num_frames", ParamType::Int, "0", "frames per sample; 0 = preset's (16 / 32)", {}, 0, 1024),
      dataset_param("scoring", ParamType::String, "\"\"", "answer scoring; \"\" = preset's", {"", "official", "strict", "lmms_eval"}),
      dataset_param("limit_per_task", ParamType::Int, "0", "first N questions per task; 0 = all", {}, 0, std::nullopt),
  };
  for (ParamSpec& spec : sample_count_params()) specs.push_back(std::move(spec));
  return specs;
}

namespace {
std::unique_ptr<Dataset> make_mvbench(const Params& params) {
  return std::make_unique<MvbenchDataset>(mvbench_options_from(params));
}

const Registration<Dataset> mvbench_registration{{
    "mvbench",
    "MVBench (20 tasks, official VideoChat2 protocol or the lmms-eval preset)",
    mvbench_param_specs("\"\""),
    make_mvbench,
    inspect_by_building(make_mvbench),
}};
}  // namespace

}  // namespace wq
