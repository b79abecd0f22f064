// Synthetic video-QA benchmark: procedurally drawn coloured shapes (appear, move, change
// colour, flash) with multiple-choice questions whose evidence lies in known frames.
// Written in MVBench's layout (json/<task>.json, video/synthetic/<task>/<video>/%05d.jpg,
// task_table.json) so the MVBench adapter reads it unchanged (dataset name "synthetic").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/params.h"
#include "core/config/registry.h"
#include "datasets/video/frames.h"

namespace wq {

// The five task families, in report order.
const std::vector<std::string>& synth_task_ids();  // needle, attribute_at_event, ...

struct SynthOptions {
  std::string out_dir;                  // created if missing; existing task files are replaced
  uint64_t seed = 0;
  int questions_per_task = 20;          // one video per question
  int frames_min = 32, frames_max = 32; // video length, uniform in [min, max], 8..256
  int width = 64, height = 64;          // 32..512
  int difficulty = 2;                   // 1..5: distractors, event length, shape size
  int num_options = 4;                  // 2..5 candidates per question
  // Events are placed so that each covers at least one frame the MVBench official sampler
  // picks for this many frames (and a flash never covers two of them).
  int sample_frames = 16;
  std::vector<std::string> tasks;       // empty = all five
};

// Parameters of `wq synth` / the config section (names match SynthOptions fields).
std::vector<ParamSpec> synth_param_specs();
SynthOptions synth_options_from(const Params& params);

struct SynthResult {
  std::string task_table;  // path of the written task_table.json
  std::vector<std::string> tasks;
  int64_t questions = 0;
  int64_t frames_written = 0;
};

// One question drawn in memory exactly as generate_synthetic draws question `index` of
// `task` (same options and seed -> same scene; answer_position is where the right option
// goes), with the frames the MVBench adapter would read for num_frames, rendered without
// JPEG files. What the proxy model trains on (datasets stay torch-free).
struct SynthSample {
  std::string task, question;
  std::vector<std::string> candidates;
  int answer = 0;  // index into candidates
  int video_frames = 0;                  // length of the drawn video
  std::vector<int64_t> indices;          // frames the sampler picked (files numbered from 1)
  std::vector<int64_t> evidence_frames;  // frames holding the evidence, same index space
  Frames frames;
};
SynthSample draw_synth_sample(const SynthOptions& options, const std::string& task, uint64_t index,
                              int answer_position, int num_frames);
// Where the right option goes for each question of `task` (balanced, shuffled): what
// generate_synthetic uses, so in-memory questions equal the written ones.
std::vector<int> synth_answer_positions(const SynthOptions& options, const std::string& task);

// Deterministic given the options: the same seed and options give byte-identical JSON and
// identical frames (std::mt19937_64 plus hand-written distributions). Throws DatasetError /
// std::invalid_argument on bad options or unwritable output.
SynthResult generate_synthetic(const SynthOptions& options);

}  // namespace wq
