// Options of `wq train-proxy CONFIG`: the synthetic data the proxy VLM learns from, its
// architecture (a small LLaVA-OneVision: SigLIP tower + Qwen2 decoder), its tokenizer and
// the optimisation schedule (configs/proxy/train.yaml documents every key), plus what one
// call of the command does (resume, its own time or step limit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/synth/synth.h"

namespace wq::train {

struct ProxyArchitecture {
  int text_hidden = 128, text_layers = 4, text_heads = 4, text_kv_heads = 2, text_intermediate = 384;
  int vision_hidden = 96, vision_layers = 3, vision_heads = 4, vision_intermediate = 256;
  int patch_size = 8;        // image_size is the synthetic frame size
  int tokenizer_merges = 384;
};

// One call of a training that may span several (a GPU machine is lent for <= 10 minutes a
// command): set on the command line, never in the YAML.
struct ProxyCallOptions {
  bool resume = false;        // continue from the trainer state in `out`
  double time_limit_s = 0;    // > 0: this call stops after this much training time
  int max_steps = 0;          // > 0: this call stops after this many steps
};

struct ProxyTrainOptions {
  std::string out;            // checkpoint folder written at the end (and at checkpoints)
  std::uint64_t seed = 0;     // weights, data order and the training scenes
  std::string device = "cpu";
  SynthOptions data;          // scene options (frames, size, difficulty, options, tasks)
  int num_frames = 16;        // frames the model sees per video (the MVBench sampler's)
  ProxyArchitecture model;
  int steps = 2000, batch_size = 32, warmup_steps = 100;
  double lr = 1e-3, weight_decay = 0.01, grad_clip = 1.0;
  int eval_every = 200, eval_questions = 200;  // held-out in-memory questions (another seed)
  // > 0: training time over all calls; training ends there, and the learning-rate schedule
  // and the curriculum follow it (or the steps, whichever is further), so a run cut into
  // calls follows the schedule of one uninterrupted run.
  double time_budget_s = 0;
  std::string save_dtype = "f32";   // model.safetensors: f32 | bf16 (training is fp32)
  // Dtype the AdamW moments are saved in: f32 resumes bit-exact, bf16 halves their bytes.
  std::string state_dtype = "f32";
  // Share of training questions asked WITHOUT options, answered with the option text: it
  // teaches what the video shows directly; the multiple-choice questions then only have to
  // match that to a letter.
  double open_answer_fraction = 0.5;
  // Share asked with a verdict after every option ("(A) red yes", "(B) blue no"), the
  // verdicts supervised: each option is checked against the video where it stands.
  double verify_fraction = 0.0;
  // Frames per video in curriculum stages of equal length (empty: num_frames throughout);
  // each stage aligns the events to its own frame count. Held-out questions use num_frames.
  std::vector<int> curriculum_frames;
  // Training questions per task in each round, aligned with data.tasks (empty: one each);
  // held-out questions stay one each. More of a family that learns slowly.
  std::vector<int> task_weights;
  ProxyCallOptions call;
};

// Reads the YAML file; throws std::invalid_argument "<file>: <section>.<key>: <problem>".
ProxyTrainOptions load_proxy_train_options(const std::string& path);

}  // namespace wq::train
