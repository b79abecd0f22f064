// MVBench adapter: the 20 task JSONs and video folders as OpenGVLab ships them
// (root/json/<task>.json, root/video/<prefix>/<video>), or any task table in the same
// layout (the synthetic benchmark writes one: root/task_table.json).
#pragma once

#include <string>
#include <vector>

#include "core/config/registry.h"
#include "datasets/dataset.h"
#include "datasets/mvbench/mvbench_scoring.h"

namespace wq {

struct MvbenchTask {
  std::string id;          // json basename, e.g. "action_sequence"
  std::string title;       // reference's display name, e.g. "Action Sequence"
  std::string json_file;   // "action_sequence.json"
  std::string prefix;      // folder under video_dir (official layout)
  std::string lmms_prefix; // folder under video_dir in lmms-eval's download (pre-cut clips)
  SourceKind source = SourceKind::VideoFile;
  SourceKind lmms_source = SourceKind::VideoFile;
  bool bound = false;      // the JSON items carry start/end seconds
};

// The reference notebook's data_list, in its order.
const std::vector<MvbenchTask>& mvbench_official_tasks();
// Reads a task table JSON: {"tasks": [{"id", "title", "json", "prefix", "data_type",
// "bound"}]}. Throws DatasetError naming the file.
std::vector<MvbenchTask> read_task_table(const std::string& path);

struct MvbenchOptions {
  std::string root;                 // dataset root
  std::string json_dir = "json";    // relative to root
  std::string video_dir = "video";  // relative to root
  std::vector<std::string> tasks;   // task ids to load; empty = all of the table
  std::string task_table;           // "" = the official 20 tasks
  MvbenchPreset preset = MvbenchPreset::Official;
  int num_frames = 0;               // 0 = the preset's (16 official, 32 lmms_eval)
  std::string scoring;              // "" = the preset's (official | lmms_eval)
  int limit_per_task = 0;           // 0 = every question
  int max_samples = 0;              // 0 = all; else N spread over the tasks (round robin)
  std::string dataset_name = "mvbench";  // what name() reports ("synthetic" for the generator's)
};

class MvbenchDataset : public Dataset {
 public:
  explicit MvbenchDataset(MvbenchOptions options);
  std::string name() const override { return options_.dataset_name; }
  std::vector<std::string> tasks() const override;
  PromptParts prompt(const Sample& sample) const override;
  Score score(const Sample& sample, const std::string& generated) const override;
  const std::vector<MvbenchTask>& task_table() const { return table_; }
  MvbenchScoring scoring() const { return scoring_; }

 private:
  void load_task(const MvbenchTask& task);

  MvbenchOptions options_;
  std::vector<MvbenchTask> table_;
  MvbenchScoring scoring_ = MvbenchScoring::Official;
};

// Config section <-> options (shared by the "mvbench" and "synthetic" registrations).
MvbenchOptions mvbench_options_from(const Params& params);
std::vector<ParamSpec> mvbench_param_specs(const std::string& default_task_table);

}  // namespace wq
