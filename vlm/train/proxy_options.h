// Options of `wq train-proxy CONFIG`: the synthetic data the proxy VLM learns from, its
// architecture (a small LLaVA-OneVision: SigLIP tower + Qwen2 decoder), its tokenizer and
// the optimisation schedule. configs/proxy/train.yaml documents every key.
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
  double time_limit_s = 0;    // > 0: stop early when training has run this long
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
};

// Reads the YAML file; throws std::invalid_argument "<file>: <section>.<key>: <problem>".
ProxyTrainOptions load_proxy_train_options(const std::string& path);

}  // namespace wq::train
