// accuracy: a benchmark under one KV method through the evaluation protocol (protocol.md):
// one row per sample with the prediction, the score and every timing and memory figure;
// run metrics are pooled and per-task accuracy (and per duration bucket where the dataset
// has them), mean timings, bits and bytes. A sample whose video cannot be read is a failed
// row (error column), never a silent skip: it counts as wrong in `accuracy` and in its task
// (a task whose samples all failed stays, at 0, and is named in the note tasks_all_failed);
// `accuracy_answered` is over the answered samples only. More failed samples than
// dataset.max_failed_samples (default 0) make the run `partial`, its numbers kept.
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "core/config/param_spec.h"
#include "core/method/kv_method.h"
#include "experiments/experiment.h"
#include "experiments/model_section.h"
#include "vlm/eval/evaluator.h"

namespace wq {
namespace {

constexpr const char* kTimings[] = {"t_vision_ms", "t_prefill_ctx_ms", "t_search_ms", "t_quant_ms",
                                    "t_prefill_query_ms", "t_decode_per_token_ms"};
// Per-sample bytes and bits (results-schema.md says what each counts).
constexpr const char* kFigures[] = {"kv_bytes",          "kv_fp16_bytes",      "kv_allocated_bytes",
                                    "bits_nominal",      "bits_effective",     "peak_memory_bytes",
                                    "peak_method_memory_bytes"};

class MeanTotals {
 public:
  void add(const std::string& name, double value) {
    auto& [sum, n] = sums_[name];
    sum += value;
    ++n;
  }
  void write(std::map<std::string, double>& metrics, const std::string& suffix) const {
    for (const auto& [name, total] : sums_) metrics[name + suffix] = total.first / double(total.second);
  }

 private:
  std::map<std::string, std::pair<double, int64_t>> sums_;
};

class Accuracy : public Experiment {
 public:
  explicit Accuracy(const Params& params)
      : cache_bytes_(params.get_float("context_cache_mb") * 1024.0 * 1024.0) {
    settings_.protocol = params.get_string("protocol");
    settings_.max_new_tokens = params.get_int("max_new_tokens");
  }

  void run(RunContext& ctx) override {
    const Params model = model_section(ctx, "accuracy");
    const Params method_params = ctx.section("method");
    auto method = methods::make_method(method_params);
    const Params dataset_params = ctx.section("dataset");
    const auto dataset = Registry<Dataset>::instance().make(dataset_params.get_string("name"), dataset_params);
    eval::Evaluator& evaluator =
        eval::shared_evaluator(model, YAML::Dump(model.values()), cache_bytes_);
    settings_.cache_mode = cache_mode(ctx, evaluator);

    SampleTable& rows = ctx.record.samples;
    for (const char* name : {"sample_id", "task", "video_id", "bucket", "prediction", "answer", "generated", "error"})
      rows.add_string_column(name);
    for (const char* name : {"correct", "counted", "failed", "context_reused", "frames", "visual_tokens", "prompt_tokens"})
      rows.add_int_column(name);
    for (const char* name : kTimings) rows.add_float_column(name);
    for (const char* name : kFigures) rows.add_float_column(name);

    const size_t total = dataset->size();  // dataset.max_samples (sweep.max_samples) limits it
    AccuracyTally by_task, by_bucket, answered;
    std::set<std::string> answered_tasks;
    MeanTotals means;
    int64_t failed = 0;
    std::string first_failure;
    for (size_t i = 0; i < total; ++i) {
      const Sample& sample = dataset->sample(i);
      std::map<std::string, SampleTable::Cell> row{
          {"sample_id", sample.sample_id}, {"task", sample.task}, {"video_id", sample.video_id},
          {"bucket", sample.duration_bucket}, {"answer", sample.answer_letter}};
      try {
        const eval::SampleEvaluation e = evaluator.evaluate(*dataset, i, *method, settings_);
        ctx.record.metric_notes["attention_path"] = e.method.attention_path;
        const Score score = dataset->score(sample, e.generated);
        by_task.add(sample.task, score);
        answered.add(sample.task, score);
        answered_tasks.insert(sample.task);
        if (!sample.duration_bucket.empty()) by_bucket.add(sample.duration_bucket, score);
        const std::map<std::string, double> figures{
            {"t_vision_ms", e.t_vision_ms}, {"t_prefill_ctx_ms", e.t_prefill_ctx_ms},
            {"t_search_ms", e.method.t_search_ms}, {"t_quant_ms", e.method.t_quant_ms},
            {"t_prefill_query_ms", e.method.t_prefill_query_ms}, {"t_decode_per_token_ms", e.method.t_decode_per_token_ms},
            {"kv_bytes", e.method.kv_bytes}, {"kv_fp16_bytes", e.method.kv_fp16_bytes}, {"bits_nominal", e.method.bits_nominal},
            {"bits_effective", e.method.bits_effective}, {"peak_memory_bytes", e.peak_memory_bytes},
            {"peak_method_memory_bytes", e.method.peak_method_memory_bytes},
            {"kv_allocated_bytes", e.method.kv_allocated_bytes}};
        for (const auto& [name, value] : figures) {
          row[name] = value;
          means.add(name, value);
        }
        row.insert({{"prediction", score.parsed}, {"generated", e.generated}, {"error", std::string()},
                    {"correct", int64_t(score.correct)}, {"counted", int64_t(score.counted)},
                    {"failed", int64_t(0)}, {"context_reused", int64_t(e.context_reused)},
                    {"frames", e.frames}, {"visual_tokens", e.visual_tokens}, {"prompt_tokens", e.prompt_tokens}});
      } catch (const DatasetError& error) {
        if (failed++ == 0) first_failure = sample.sample_id + ": " + error.what();
        const Score wrong;  // not answered: wrong, and counted
        by_task.add(sample.task, wrong);
        if (!sample.duration_bucket.empty()) by_bucket.add(sample.duration_bucket, wrong);
        for (const char* name : kTimings) row[name] = std::nan("");
        for (const char* name : kFigures) row[name] = std::nan("");
        row.insert({{"prediction", std::string()}, {"generated", std::string()}, {"error", std::string(error.what())},
                    {"correct", int64_t(0)}, {"counted", int64_t(0)}, {"failed", int64_t(1)},
                    {"context_reused", int64_t(0)}, {"frames", int64_t(0)}, {"visual_tokens", int64_t(0)},
                    {"prompt_tokens", int64_t(0)}});
      }
      rows.add_row(row);
      ctx.progress.update(i + 1, total, "samples");
    }

    auto& m = ctx.record.metrics;
    m["accuracy"] = by_task.pooled();
    m["accuracy_task_mean"] = by_task.mean_of_groups();
    for (const auto& task : by_task.order()) m["accuracy/" + task] = by_task.group(task);
    for (const auto& bucket : by_bucket.order()) m["accuracy/duration/" + bucket] = by_bucket.group(bucket);
    m["accuracy_answered"] = answered.pooled();
    m["samples_counted"] = double(by_task.total());
    m["samples_answered"] = double(answered.total());
    m["samples_failed"] = double(failed);
    std::string all_failed;
    for (const auto& task : by_task.order())
      if (!answered_tasks.count(task)) all_failed += (all_failed.empty() ? "" : ",") + task;
    if (!all_failed.empty()) ctx.record.metric_notes["tasks_all_failed"] = all_failed;
    const int64_t allowed = dataset_params.get_int("max_failed_samples");
    if (failed > allowed) {
      ctx.record.status = RunStatus::Partial;
      ctx.record.error = std::to_string(failed) + " of " + std::to_string(total) +
                         " samples failed (dataset.max_failed_samples: " + std::to_string(allowed) + "); first: " +
                         first_failure;
    }
    means.write(m, "_mean");
    for (const char* name : kFigures)
      if (m.count(std::string(name) + "_mean")) m[name] = m[std::string(name) + "_mean"];
    if (model.get_bool("random_weights")) {
      m["random_weights"] = 1.0;
      ctx.record.metric_notes["weights"] = "random (model.random_weights): latency and memory only, accuracy meaningless";
    }
    ctx.record.metric_notes["model_family"] = evaluator.family();
  }

 private:
  double cache_bytes_;
  eval::EvalSettings settings_;
};

const Registration<Experiment> registration{{
    "accuracy",
    "benchmark accuracy of a KV method through the evaluation protocol, with per-sample timings and memory",
    {
        param_spec("protocol", ParamType::String, "cached_video",
              "cached_video: the query reads the compressed video cache; full_prefill: compress after the FP prefill",
              {"cached_video", "full_prefill"}),
        param_spec("max_new_tokens", ParamType::Int, "8", "greedy decoding length", {}, 1),
        param_spec("context_cache_mb", ParamType::Float, "2048",
              "prepared samples (vision output, FP context cache) kept for the next methods of the sweep", {}, 0),
    },
    [](const Params& params) { return std::make_unique<Accuracy>(params); },
}};

}  // namespace
}  // namespace wq
