// sensitivity, source model: the model of the `model:` section answers every sample of the
// `dataset:` section once in full precision and once per window with only that window at
// low_bits (protocol cached_video, so the query reads the damaged cache). Damage of a window:
// KL(full precision || probed) of the answer token's distribution; also the drop in
// log-probability of the full-precision answer and whether the answer flips. Relevance: the
// window covers a frame the dataset marks as evidence (synthetic benchmark).
#include <algorithm>
#include <cmath>

#include "core/windowquant/window_probe.h"
#include "datasets/dataset.h"
#include "experiments/model_section.h"
#include "experiments/sensitivity_probe.h"
#include "experiments/sensitivity_summary.h"
#include "vlm/eval/evaluator.h"

namespace wq {
namespace {

struct Damage {
  double kl = 0, answer_logprob_drop = 0;
  bool flipped = false;
};

Damage damage_of(const std::vector<float>& reference, const std::vector<float>& probed) {
  Damage d;
  for (size_t i = 0; i < reference.size(); ++i)
    if (std::isfinite(reference[i])) d.kl += std::exp(double(reference[i])) * double(reference[i] - probed[i]);
  const size_t answer = size_t(std::max_element(reference.begin(), reference.end()) - reference.begin());
  d.answer_logprob_drop = double(reference[answer] - probed[answer]);
  d.flipped = size_t(std::max_element(probed.begin(), probed.end()) - probed.begin()) != answer;
  return d;
}

// 1 when one of the window's frames (ordinals into the sampled frames) is an evidence frame.
double relevance(const std::vector<int>& window_frames, const SampleVideo& video, const Sample& sample) {
  for (int ordinal : window_frames)
    if (size_t(ordinal) < video.indices.size() &&
        std::count(sample.evidence_frames.begin(), sample.evidence_frames.end(), video.indices[size_t(ordinal)]))
      return 1.0;
  return 0.0;
}

class ModelSensitivity : public Experiment {
 public:
  explicit ModelSensitivity(const Params& params)
      : probe_settings_(sensitivity_probe(params)),
        cache_bytes_(params.get_float("context_cache_mb") * 1024.0 * 1024.0) {
    settings_.protocol = "cached_video";
    settings_.max_new_tokens = 1;  // the answer letter
    settings_.keep_first_log_probs = true;
  }

  void run(RunContext& ctx) override {
    const Params model = model_section(ctx, "sensitivity (source model)");
    const Params dataset_params = ctx.section("dataset");
    const auto dataset = Registry<Dataset>::instance().make(dataset_params.get_string("name"), dataset_params);
    eval::Evaluator& evaluator = eval::shared_evaluator(model, YAML::Dump(model.values()), cache_bytes_);
    settings_.cache_mode = cache_mode(ctx, evaluator);
    const SensitivityProbe& p = probe_settings_;
    WindowProbe probe(p.unit, p.window_size, p.similarity, p.key, p.value);

    SampleTable& rows = ctx.record.samples;
    for (const char* name : {"sample_id", "task", "error"}) rows.add_string_column(name);
    for (const char* name : {"window", "first_frame", "last_frame", "relevant", "correct_fp", "flipped"})
      rows.add_int_column(name);
    for (const char* name : {"similarity", "damage", "answer_logprob_drop"}) rows.add_float_column(name);

    SensitivitySummary summary;
    int64_t failed = 0, correct_fp = 0, evaluated = 0, windows_total = 0, flips = 0;
    for (size_t i = 0; i < dataset->size(); ++i) {
      const Sample& sample = dataset->sample(i);
      try {
        probe.select(-1);
        const eval::SampleEvaluation reference = evaluator.evaluate(*dataset, i, probe, settings_);
        const bool correct = dataset->score(sample, reference.generated).correct;
        const std::vector<double> scores = probe.scores();
        const std::vector<std::vector<int>> frames = probe.window_frames();
        const SampleVideo video = dataset->load_video(sample, false);
        std::vector<double> damages, truth;
        for (size_t w = 0; w < scores.size(); ++w) {
          probe.select(int(w));
          const Damage d = damage_of(reference.first_log_probs,
                                     evaluator.evaluate(*dataset, i, probe, settings_).first_log_probs);
          damages.push_back(d.kl);
          truth.push_back(relevance(frames[w], video, sample));
          flips += d.flipped;
          rows.add_row({{"sample_id", sample.sample_id}, {"task", sample.task}, {"window", int64_t(w)},
                        {"first_frame", int64_t(frames[w].front())}, {"last_frame", int64_t(frames[w].back())},
                        {"relevant", int64_t(truth.back())}, {"correct_fp", int64_t(correct)},
                        {"flipped", int64_t(d.flipped)}, {"similarity", scores[w]}, {"damage", d.kl},
                        {"answer_logprob_drop", d.answer_logprob_drop}, {"error", std::string()}});
        }
        summary.add_sample(scores, damages, truth);
        correct_fp += correct;
        ++evaluated;
        windows_total += int64_t(scores.size());
      } catch (const DatasetError& error) {
        ++failed;  // one row with the reason, window -1: never a silent skip
        rows.add_row({{"sample_id", sample.sample_id}, {"task", sample.task}, {"window", int64_t(-1)},
                      {"first_frame", int64_t(-1)}, {"last_frame", int64_t(-1)}, {"relevant", int64_t(0)},
                      {"correct_fp", int64_t(0)}, {"flipped", int64_t(0)}, {"similarity", std::nan("")},
                      {"damage", std::nan("")}, {"answer_logprob_drop", std::nan("")},
                      {"error", std::string(error.what())}});
      }
      ctx.progress.update(i + 1, dataset->size(), "samples");
    }
    auto& m = ctx.record.metrics;
    summary.write(m);
    m["samples_evaluated"] = double(evaluated);
    m["samples_failed"] = double(failed);
    m["accuracy_fp"] = evaluated ? double(correct_fp) / double(evaluated) : NAN;
    m["flip_rate"] = windows_total ? double(flips) / double(windows_total) : NAN;
    ctx.record.metric_notes["damage"] = "KL(full precision || one window at low_bits) of the answer token";
    ctx.record.metric_notes["model_family"] = evaluator.family();
  }

 private:
  SensitivityProbe probe_settings_;
  double cache_bytes_;
  eval::EvalSettings settings_;
};

}  // namespace

std::unique_ptr<Experiment> make_model_sensitivity(const Params& params) {
  return std::make_unique<ModelSensitivity>(params);
}

}  // namespace wq
