// The five question families of the synthetic benchmark (internal to datasets/synth).
#pragma once

#include <string>
#include <vector>

#include "datasets/synth/synth_scene.h"

namespace wq::synth {

struct Probe {  // where a question's evidence can be seen: colour at (x, y) of `frame`
  int frame;
  int x, y;
  Colour colour;
};

struct Question {
  Scene scene;
  std::string question;
  std::vector<std::string> candidates;
  int answer = 0;
  std::vector<int> evidence;  // 0-based frames that hold the evidence, sorted
  std::vector<Probe> probes;
};

struct TaskContext {
  int frames, width, height, difficulty, num_options, sample_frames;
  int answer_position;  // where the right candidate goes (balanced by the caller)
};

// Builds one question of `task` (one of synth_task_ids()).
Question make_question(const std::string& task, const TaskContext& ctx, Rng& rng);

// 0-based frames the MVBench official sampler picks for a frame folder of `frames` files
// (get_index with fps 3, first_idx 1, no bound), deduplicated and sorted.
std::vector<int> sampled_frames(int frames, int num_segments);

}  // namespace wq::synth
