#include "vlm/train/proxy_trainer.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>

#include "datasets/dataset.h"
#include "datasets/mvbench/mvbench_dataset.h"
#include "vlm/eval/llava_onevision_lm.h"
#include "vlm/models/model_config.h"
#include "vlm/models/safetensors_writer.h"
#include "vlm/tokenizer/train_bpe.h"
#include "vlm/train/trainer_state.h"

namespace wq::train {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSpecialTokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"};
// Held-out questions come from another stream than training ones (and the benchmark's test
// split from `wq synth --seed`, which uses yet other streams).
constexpr std::uint64_t kHeldoutStream = 0x9e3779b97f4a7c15ULL;

SynthOptions scene_options(const ProxyTrainOptions& o, std::uint64_t stream) {
  SynthOptions s = o.data;
  s.seed = o.seed ^ stream;
  return s;
}

const std::vector<std::string>& task_list(const ProxyTrainOptions& o) {
  return o.data.tasks.empty() ? synth_task_ids() : o.data.tasks;
}

// Task (index into task_list) and question index within it of question i of the stream:
// tasks take turns, task k weight_k times a round (once each without train.task_weights).
std::pair<std::size_t, std::uint64_t> task_of(const ProxyTrainOptions& o, std::uint64_t i) {
  const std::size_t tasks = task_list(o).size();
  if (o.task_weights.empty()) return {i % tasks, i / tasks};
  std::uint64_t round_length = 0;
  for (const int w : o.task_weights) round_length += std::uint64_t(w);
  std::uint64_t turn = i % round_length;
  for (std::size_t k = 0;; ++k) {
    const auto weight = std::uint64_t(o.task_weights[k]);
    if (turn < weight) return {k, i / round_length * weight + turn};
    turn -= weight;
  }
}

// Question i of the stream, its answer position drawn from its index.
SynthSample draw(const ProxyTrainOptions& o, std::uint64_t stream, std::uint64_t i) {
  const auto [k, question] = task_of(o, i);
  const std::string& task = task_list(o)[k];
  const int positions = task == "motion_direction" ? std::min(o.data.num_options, 4) : o.data.num_options;
  const int answer_position = static_cast<int>((question * 2654435761ULL >> 7) % positions);
  return draw_synth_sample(scene_options(o, stream), task, question, answer_position, o.num_frames);
}

PromptParts prompt_of(const SynthSample& s) { return mvbench_prompt(MvbenchPreset::Official, s.question, s.candidates); }

// The reply the proxy learns: MVBench's answer continues "Best option:(" with "A) text".
std::string reply_of(const SynthSample& s) { return option_letter(s.answer) + ") " + s.candidates[s.answer]; }

// The same question without options (ProxyTrainOptions::open_answer_fraction).
PromptParts open_prompt_of(const SynthSample& s) {
  return {mvbench_prompt(MvbenchPreset::Official, s.question, s.candidates).system, "Question: " + s.question,
          "Answer: "};
}

// The multiple-choice prompt with a verdict after every option ("(A) red yes", "(B) blue no",
// ProxyTrainOptions::verify_fraction): each option is checked against the video where it
// stands, which is what the letter then has to look up.
constexpr const char* kYes = " yes";
constexpr const char* kNo = " no";
PromptParts verify_prompt_of(const SynthSample& s) {
  std::vector<std::string> marked = s.candidates;
  for (std::size_t i = 0; i < marked.size(); ++i) marked[i] += int(i) == s.answer ? kYes : kNo;
  return mvbench_prompt(MvbenchPreset::Official, s.question, marked);
}

// How training question i is asked: a fixed pattern of the index (held-out ones: always
// multiple choice).
enum class Asked { multiple_choice, open, verify };
Asked asked(const ProxyTrainOptions& o, std::uint64_t i) {
  const double u = double((i * 0x9e3779b97f4a7c15ULL) >> 11) / double(1ULL << 53);
  if (u < o.open_answer_fraction) return Asked::open;
  if (u < o.open_answer_fraction + o.verify_fraction) return Asked::verify;
  return Asked::multiple_choice;
}

std::string write_tokenizer(const ProxyTrainOptions& o) {
  std::vector<std::string> corpus;
  for (std::uint64_t i = 0; i < 2000; ++i) {
    const SynthSample s = draw(o, 0, i);
    const PromptParts p = prompt_of(s);
    corpus.push_back(p.system);
    corpus.push_back(p.user + "\n" + p.answer_prefix + reply_of(s));
    const PromptParts open = open_prompt_of(s);
    corpus.push_back(open.user + "\n" + open.answer_prefix + s.candidates[s.answer]);
    corpus.push_back(verify_prompt_of(s).user);
  }
  tokenizer::BpeTrainingOptions bpe;
  bpe.merges = o.model.tokenizer_merges;
  bpe.special_tokens = kSpecialTokens;
  return tokenizer::train_byte_level_bpe_json(corpus, bpe);
}

nlohmann::json config_json(const ProxyTrainOptions& o, std::int64_t vocab) {
  const auto& a = o.model;
  const std::int64_t eos = vocab - 3;  // <|im_end|>: see kSpecialTokens
  return {{"architectures", {"LlavaOnevisionForConditionalGeneration"}},
          {"model_type", "llava_onevision"},
          {"image_token_index", vocab - 2},
          {"video_token_index", vocab - 1},
          {"vision_feature_layer", -1},
          {"vision_feature_select_strategy", "full"},
          {"projector_hidden_act", "gelu"},
          {"multimodal_projector_bias", true},
          {"tie_word_embeddings", true},
          {"text_config",
           {{"model_type", "qwen2"}, {"vocab_size", vocab}, {"hidden_size", a.text_hidden},
            {"intermediate_size", a.text_intermediate}, {"num_hidden_layers", a.text_layers},
            {"num_attention_heads", a.text_heads}, {"num_key_value_heads", a.text_kv_heads},
            {"max_position_embeddings", 32768}, {"rope_theta", 10000.0}, {"rms_norm_eps", 1e-6},
            {"tie_word_embeddings", true}, {"hidden_act", "silu"}, {"eos_token_id", eos}}},
          {"vision_config",
           {{"model_type", "siglip_vision_model"}, {"hidden_size", a.vision_hidden},
            {"intermediate_size", a.vision_intermediate}, {"num_hidden_layers", a.vision_layers},
            {"num_attention_heads", a.vision_heads}, {"image_size", o.data.width},
            {"patch_size", a.patch_size}, {"num_channels", 3}, {"layer_norm_eps", 1e-6},
            {"hidden_act", "gelu_pytorch_tanh"}}}};
}

nlohmann::json processor_json(const ProxyTrainOptions& o) {
  return {{"video_processor_type", "LlavaOnevisionVideoProcessor"}, {"do_resize", true}, {"do_rescale", true},
          {"do_normalize", true}, {"do_convert_rgb", true}, {"resample", 3},
          {"rescale_factor", 1.0 / 255.0}, {"image_mean", {0.5, 0.5, 0.5}}, {"image_std", {0.5, 0.5, 0.5}},
          {"size", {{"height", o.data.height}, {"width", o.data.width}}}};
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

// Weight of the reply's other tokens relative to the option letter: the letter is the
// decision (and all that scoring reads); the rest keeps replies well-formed.
constexpr double kReplyTokenWeight = 0.2;

struct Batch {
  at::Tensor ids;       // [B, L] right-padded
  at::Tensor targets;   // [B, L] next-token ids, -100 where no loss
  at::Tensor weights;   // [B, L] loss weight per position (1 at the letter)
  at::Tensor letter;    // [B, L] 1 at the option letter of multiple-choice questions
  at::Tensor pixels;    // [B * F, 3, S, S] preprocessed frames (CPU)
};

// One question as the model sees it in training: token ids and the supervised positions
// (position t predicts token t + 1, with a loss weight).
struct TrainingSequence {
  std::vector<std::int64_t> ids;
  std::vector<std::pair<std::size_t, float>> supervised;
  std::size_t letter = 0;  // position predicting the option letter; 0 = none
};

TrainingSequence training_sequence(const eval::LlavaOnevisionLm& lm, const SynthSample& s, Asked how,
                                   const eval::EncodedVideo& video_layout, std::int64_t end_of_turn) {
  const PromptParts parts = how == Asked::open ? open_prompt_of(s) : how == Asked::verify ? verify_prompt_of(s) : prompt_of(s);
  const eval::VideoPrompt prompt = lm.build_prompt(parts, video_layout);
  TrainingSequence seq;
  seq.ids = prompt.context_ids;
  seq.ids.insert(seq.ids.end(), prompt.query_ids.begin(), prompt.query_ids.end());
  if (how == Asked::verify) {
    // The verdicts only: the letter after them could be read off the word "yes".
    const std::int64_t yes = lm.tokenizer().encode(kYes).front(), no = lm.tokenizer().encode(kNo).front();
    for (std::size_t t = prompt.context_ids.size(); t < seq.ids.size(); ++t)
      if (seq.ids[t] == yes || seq.ids[t] == no) seq.supervised.push_back({t - 1, 1.0f});
    return seq;
  }
  const std::size_t prompt_length = seq.ids.size();
  for (const auto id : lm.tokenizer().encode(how == Asked::open ? s.candidates[s.answer] : reply_of(s)))
    seq.ids.push_back(id);
  seq.ids.push_back(end_of_turn);
  if (how == Asked::multiple_choice) seq.letter = prompt_length - 1;
  for (std::size_t t = prompt_length - 1; t + 1 < seq.ids.size(); ++t)
    seq.supervised.push_back({t, how == Asked::open || t == seq.letter ? 1.0f : float(kReplyTokenWeight)});
  return seq;
}

// training: batches mix the ways of asking (asked()); held-out ones are all multiple choice.
Batch make_batch(const eval::LlavaOnevisionLm& lm, const ProxyTrainOptions& o, std::uint64_t first, bool training) {
  const std::int64_t visual_tokens = lm.model().video_token_count(o.num_frames);
  const auto B = static_cast<std::size_t>(o.batch_size);
  std::vector<TrainingSequence> seqs(B);
  std::vector<at::Tensor> pixels(B);
  // The prompt needs only the video's token layout (placeholders per frame), not embeddings:
  // those are computed with the batch and written over the placeholders in batch_logits.
  const eval::EncodedVideo video_layout = lm.describe_video(torch::zeros({visual_tokens, 1}), o.num_frames);
  const auto end_of_turn = *lm.tokenizer().token_to_id("<|im_end|>");
  // Drawing, rendering and preprocessing dominate a step of this small model: one sample
  // per task of the intra-op pool.
  at::parallel_for(0, static_cast<std::int64_t>(B), 1, [&](std::int64_t begin, std::int64_t end) {
    for (auto b = static_cast<std::size_t>(begin); b < static_cast<std::size_t>(end); ++b) {
      const SynthSample s = draw(o, 0, first + b);
      seqs[b] = training_sequence(lm, s, training ? asked(o, first + b) : Asked::multiple_choice, video_layout, end_of_turn);
      const at::Tensor frames = torch::from_blob(const_cast<std::uint8_t*>(s.frames.rgb.data()),
                                                 {s.frames.count, s.frames.height, s.frames.width, 3}, torch::kUInt8);
      pixels[b] = models::preprocess_video(frames, lm.processor());
    }
  });
  std::size_t longest = 0;
  for (const auto& s : seqs) longest = std::max(longest, s.ids.size());
  Batch batch;
  batch.ids = torch::full({o.batch_size, static_cast<std::int64_t>(longest)}, end_of_turn, torch::kLong);
  batch.targets = torch::full_like(batch.ids, -100);
  batch.weights = torch::zeros(batch.ids.sizes(), torch::kFloat);
  batch.letter = torch::zeros(batch.ids.sizes(), torch::kFloat);
  auto ids = batch.ids.accessor<std::int64_t, 2>();
  auto targets = batch.targets.accessor<std::int64_t, 2>();
  auto weights = batch.weights.accessor<float, 2>();
  auto letter = batch.letter.accessor<float, 2>();
  for (std::size_t b = 0; b < B; ++b) {
    for (std::size_t t = 0; t < seqs[b].ids.size(); ++t) ids[b][t] = seqs[b].ids[t];
    for (const auto& [t, weight] : seqs[b].supervised) {
      targets[b][t] = seqs[b].ids[t + 1];
      weights[b][t] = weight;
    }
    if (seqs[b].letter > 0) letter[b][seqs[b].letter] = 1.0f;
  }
  batch.pixels = torch::cat(pixels, 0);
  return batch;
}

// Logits [B, L, vocab] of a right-padded batch (padding sits after every real token, so the
// causal mask keeps it out of the real positions).
at::Tensor batch_logits(const eval::LlavaOnevisionLm& lm, const Batch& batch, const at::Tensor& newline,
                        std::int64_t video_token) {
  const auto& model = lm.model();
  const at::Device device = model.llm().device();
  const at::Tensor pixels = batch.pixels.to(device);
  const auto B = batch.ids.size(0);
  at::Tensor features = model.video_features(pixels);  // [B * F * tokens, hidden]
  features = features.view({B, -1, features.size(-1)});
  at::Tensor visual = torch::cat({features, newline.view({1, 1, -1}).expand({B, 1, newline.size(-1)})}, 1);
  const at::Tensor ids = batch.ids.to(device);
  at::Tensor embeds = model.llm().embed(ids);
  const at::Tensor mask = (ids == video_token).unsqueeze(-1).expand_as(embeds);
  embeds = embeds.masked_scatter(mask, visual.to(embeds.scalar_type()));
  const models::ForwardResult out = model.llm().forward(embeds, nullptr, 0);
  return model.llm().logits(out.hidden);
}

// First reply token's accuracy (the option letter) on held-out questions, pooled and per task.
struct HeldoutAccuracy {
  double pooled = 0;
  std::map<std::string, double> by_task;
};

HeldoutAccuracy heldout_accuracy(const eval::LlavaOnevisionLm& lm, const ProxyTrainOptions& o,
                                 const at::Tensor& newline, std::int64_t video_token) {
  torch::NoGradGuard no_grad;
  ProxyTrainOptions eval_options = o;
  eval_options.batch_size = std::min(o.batch_size, o.eval_questions);
  eval_options.seed = o.seed ^ kHeldoutStream;
  eval_options.task_weights.clear();  // every task as often: accuracy per task and pooled
  std::map<std::string, std::pair<int, int>> tally;  // task -> (correct, total)
  for (int first = 0; first < o.eval_questions; first += eval_options.batch_size) {
    const Batch batch = make_batch(lm, eval_options, static_cast<std::uint64_t>(first), false);
    const at::Tensor logits = batch_logits(lm, batch, newline, video_token).to(at::kCPU);
    const at::Tensor letter_position = batch.letter.argmax(1);
    for (std::int64_t b = 0; b < batch.ids.size(0); ++b) {
      const auto t = letter_position[b].item<std::int64_t>();
      auto& [correct, total] = tally[task_list(o)[task_of(eval_options, std::uint64_t(first + b)).first]];
      correct += logits[b][t].argmax().item<std::int64_t>() == batch.targets[b][t].item<std::int64_t>();
      ++total;
    }
  }
  HeldoutAccuracy result;
  int correct_all = 0, total_all = 0;
  for (const auto& [task, counts] : tally) {
    result.by_task[task] = double(counts.first) / double(counts.second);
    correct_all += counts.first;
    total_all += counts.second;
  }
  result.pooled = total_all ? double(correct_all) / double(total_all) : 0.0;
  return result;
}

// How far training is, in [0, 1]: by steps or by the time budget, whichever is further, so a
// run that ends by time_budget_s still ends its schedules (learning rate, curriculum).
// seconds: training time over all calls.
double schedule_progress(const ProxyTrainOptions& o, int step, double seconds) {
  double progress = double(step) / std::max(1, o.steps);
  if (o.time_budget_s > 0) progress = std::max(progress, seconds / o.time_budget_s);
  return std::min(1.0, progress);
}

// Linear warm-up, then cosine decay to 10 %.
double learning_rate(const ProxyTrainOptions& o, int step, double seconds) {
  if (step < o.warmup_steps) return o.lr * (step + 1) / o.warmup_steps;
  const double progress = schedule_progress(o, step, seconds);
  return o.lr * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * progress)));
}

// The options of the curriculum stage at `progress`: stage k of K (equal shares) shows
// curriculum_frames[k] frames with the events aligned to them. Few frames first: a shape in
// one frame of 4 is easier to find than in one of 16.
ProxyTrainOptions curriculum_stage(const ProxyTrainOptions& o, double progress) {
  ProxyTrainOptions stage = o;
  if (o.curriculum_frames.empty()) return stage;
  const auto k = std::min(o.curriculum_frames.size() - 1, std::size_t(progress * double(o.curriculum_frames.size())));
  stage.num_frames = stage.data.sample_frames = o.curriculum_frames[k];
  return stage;
}

at::ScalarType dtype_named(const std::string& name) { return name == "bf16" ? at::kBFloat16 : at::kFloat; }

void save(const eval::LlavaOnevisionLm& lm, const ProxyTrainOptions& o, const nlohmann::json& log_json) {
  models::NamedTensors tensors = lm.model().named_tensors();
  for (auto& named : tensors) named.second = named.second.detach().to(dtype_named(o.save_dtype));
  models::write_safetensors((fs::path(o.out) / "model.safetensors").string(), tensors, {{"format", "pt"}});
  write_text(fs::path(o.out) / "train_log.json", log_json.dump(1) + "\n");
}

// What the weights of a trainer state depend on: resuming under another config is refused.
// The merges stand for the data options the tokenizer was learned from.
nlohmann::json run_identity(const ProxyTrainOptions& o, std::int64_t vocab, const std::string& tokenizer_json) {
  return {{"seed", o.seed}, {"tasks", task_list(o)}, {"config", config_json(o, vocab)},
          {"merges", nlohmann::json::parse(tokenizer_json).at("model").at("merges")}};
}

nlohmann::json saved_history(const fs::path& out) {
  std::ifstream in(out / "train_log.json");
  if (!in) throw std::invalid_argument((out / "train_log.json").string() + ": missing (needed to resume)");
  return nlohmann::json::parse(in).at("history");
}

// random() draws weights for latency runs (embeddings N(0, 1), biases and norms jittered,
// SigLIP position embeddings N(0, 0.25)). Training starts from the usual init instead: with
// the tied head, N(0, 1) embeddings make the first logits huge, and large position
// embeddings and biases drown the little a coloured shape changes in a patch.
void start_for_training(const std::string& name, at::Tensor& t) {
  torch::NoGradGuard no_grad;
  const bool norm = name.find("norm") != std::string::npos;
  if (name.find("embed_tokens") != std::string::npos) t.mul_(1.0 / std::sqrt(double(t.size(1))));
  else if (name.find("position_embedding") != std::string::npos) t.normal_(0.0, 0.02);
  else if (norm && name.find(".bias") == std::string::npos) t.fill_(1.0);
  else if (name.find(".bias") != std::string::npos) t.zero_();
}

}  // namespace

ProxyTrainResult train_proxy(const ProxyTrainOptions& o, const std::function<void(const std::string&)>& log) {
  torch::AutoGradMode enable_grad(true);  // callers may hold a NoGradGuard (tests do)
  torch::manual_seed(o.seed);
  const fs::path out(o.out);
  fs::create_directories(out);
  const std::string tokenizer_json = write_tokenizer(o);
  tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::from_json_text(tokenizer_json);
  const std::int64_t vocab = static_cast<std::int64_t>(*tokenizer.token_to_id(kSpecialTokens.back())) + 1;
  if (o.verify_fraction > 0 && (tokenizer.encode(kYes).size() != 1 || tokenizer.encode(kNo).size() != 1))
    throw std::invalid_argument("train-proxy: model.tokenizer_merges is too small for ' yes' and ' no' to be single "
                                "tokens (train.verify_fraction needs them)");
  // Checked before anything in `out` is replaced: a refused resume leaves the folder as it was.
  TrainerProgress progress{0, 0.0, run_identity(o, vocab, tokenizer_json)};
  if (o.call.resume) progress = read_trainer_progress(o.out, progress.run);
  write_text(out / "tokenizer.json", tokenizer_json);
  write_text(out / "config.json", config_json(o, vocab).dump(1) + "\n");
  write_text(out / "video_preprocessor_config.json", processor_json(o).dump(1) + "\n");

  const models::ModelConfig config = models::load_model_config(out.string());
  const auto& llava_config = std::get<models::LlavaOnevisionConfig>(config.family);
  models::LoadOptions load;
  load.device = o.device;
  eval::LlavaOnevisionLm lm(models::LlavaOnevision::random(llava_config, load, o.seed),
                            models::load_video_processor_config(out.string()), std::move(tokenizer));
  const std::int64_t video_token = llava_config.video_token_id;

  std::vector<at::Tensor> decay, no_decay;
  at::Tensor newline;
  for (auto& [name, t] : lm.model().named_tensors()) {
    start_for_training(name, t);
    t.requires_grad_(true);
    if (name == "image_newline") newline = t;
    (t.dim() >= 2 ? decay : no_decay).push_back(t);
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                 torch::optim::AdamWOptions(o.lr).weight_decay(o.weight_decay)));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(o.lr).weight_decay(0.0)));
  torch::optim::AdamW optimizer(groups);

  nlohmann::json history = nlohmann::json::array();
  if (o.call.resume) {
    load_trainer_state(o.out, lm.model().named_tensors(), optimizer);
    history = saved_history(out);
    log("resumed at step " + std::to_string(progress.step) + " after " + std::to_string(int(progress.seconds)) + " s");
  }
  const int first_step = progress.step;
  const double seconds_before = progress.seconds;
  const auto start = std::chrono::steady_clock::now();
  auto call_seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  auto elapsed = [&] { return seconds_before + call_seconds(); };  // over all calls
  ProxyTrainResult result;
  result.steps = first_step;
  result.checkpoint = out.string();
  if (first_step >= o.steps || (o.time_budget_s > 0 && seconds_before >= o.time_budget_s)) {
    log("nothing left to train: step " + std::to_string(first_step) + " of " + std::to_string(o.steps) + ", " +
        std::to_string(int(seconds_before)) + " s of the budget");
    result.seconds = seconds_before;
    return result;
  }
  double loss_sum = 0, letter_loss_sum = 0, letter_count = 0;
  int loss_count = 0;
  // The next batch is drawn, rendered and preprocessed on the CPU while the device runs
  // this step (on a GPU the data side is most of a step of this small model).
  auto draw_batch = [&](int step) {
    const ProxyTrainOptions stage = curriculum_stage(o, schedule_progress(o, step, elapsed()));
    return std::async(std::launch::async, [&lm, stage, step] {
      return make_batch(lm, stage, static_cast<std::uint64_t>(step) * stage.batch_size, true);
    });
  };
  std::future<Batch> next_batch = draw_batch(first_step);
  for (int step = first_step; step < o.steps; ++step) {
    const Batch batch = next_batch.get();
    if (step + 1 < o.steps) next_batch = draw_batch(step + 1);
    const at::Tensor logits = batch_logits(lm, batch, newline, video_token);
    const at::Tensor per_token = torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(-1)}).to(at::kFloat), batch.targets.to(logits.device()).reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kNone));
    const at::Tensor loss = (per_token * batch.weights.to(logits.device()).reshape({-1})).sum() / o.batch_size;
    const at::Tensor letter = batch.letter.to(logits.device()).reshape({-1});
    optimizer.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(decay, o.grad_clip);
    torch::nn::utils::clip_grad_norm_(no_decay, o.grad_clip);
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(learning_rate(o, step, elapsed()));
    optimizer.step();
    loss_sum += loss.item<double>();
    letter_loss_sum += (per_token.detach() * letter).sum().item<double>();
    letter_count += letter.sum().item<double>();
    ++loss_count;
    result.steps = step + 1;
    const bool finished = step + 1 == o.steps || (o.time_budget_s > 0 && elapsed() > o.time_budget_s);
    const bool call_over = (o.call.time_limit_s > 0 && call_seconds() > o.call.time_limit_s) ||
                           (o.call.max_steps > 0 && step + 1 - first_step >= o.call.max_steps);
    const bool last = finished || call_over;
    if ((step + 1) % o.eval_every == 0 || last) {
      const HeldoutAccuracy heldout = heldout_accuracy(lm, o, newline, video_token);
      result.heldout_accuracy = heldout.pooled;
      const double letter_loss = letter_count > 0 ? letter_loss_sum / letter_count : 0.0;
      history.push_back({{"step", step + 1}, {"seconds", elapsed()}, {"loss", loss_sum / loss_count},
                         {"letter_loss", letter_loss}, {"heldout_accuracy", result.heldout_accuracy},
                         {"heldout_accuracy_by_task", heldout.by_task}});
      log("step " + std::to_string(step + 1) + "  loss " + std::to_string(loss_sum / loss_count) + "  letter loss " +
          std::to_string(letter_loss) + "  held-out letter accuracy " + std::to_string(result.heldout_accuracy) +
          " " + nlohmann::json(heldout.by_task).dump() + "  (" + std::to_string(static_cast<int>(elapsed())) + " s)");
      loss_sum = letter_loss_sum = letter_count = 0;
      loss_count = 0;
      save(lm, o, {{"history", history}, {"options_seed", o.seed}, {"device", o.device}});
      progress.step = step + 1;
      progress.seconds = elapsed();
      save_trainer_state(o.out, lm.model().named_tensors(), optimizer, progress, dtype_named(o.state_dtype));
    }
    if (last) break;
  }
  result.seconds = elapsed();
  return result;
}

}  // namespace wq::train
