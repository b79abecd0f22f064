// `synthetic_memory`: the synthetic benchmark drawn and rendered in memory, question for
// question the one `wq synth` writes with the same parameters (frames not JPEG-compressed),
// for machines without FFmpeg and for runs that should not touch the disk. Prompt and
// scoring are MVBench's official ones, as the `synthetic` dataset reads them.
#include <map>

#include "datasets/dataset.h"
#include "datasets/mvbench/mvbench_scoring.h"
#include "datasets/param_spec.h"
#include "datasets/synth/synth.h"

namespace wq {
namespace {

class SynthMemoryDataset : public Dataset {
 public:
  SynthMemoryDataset(SynthOptions options, int num_frames) : options_(std::move(options)) {
    sampling_.num_frames = num_frames;
    tasks_ = options_.tasks.empty() ? synth_task_ids() : options_.tasks;
    for (const std::string& task : tasks_) {
      const std::vector<int> positions = synth_answer_positions(options_, task);
      for (int q = 0; q < options_.questions_per_task; ++q) {
        const SynthSample drawn = draw_synth_sample(options_, task, q, positions[q], 1);
        char id[16];
        std::snprintf(id, sizeof(id), "%04d", q);
        Sample s;
        s.sample_id = task + "/" + id;
        s.task = task;
        s.video_id = task + "_" + id;
        s.video_path = "memory:" + s.video_id;
        s.question = drawn.question;
        s.candidates = drawn.candidates;
        s.answer_letter = option_letter(drawn.answer);
        s.answer_text = drawn.candidates[drawn.answer];
        s.evidence_frames = drawn.evidence_frames;
        answer_position_[s.sample_id] = positions[q];
        samples_.push_back(std::move(s));
      }
    }
  }

  std::string name() const override { return "synthetic_memory"; }
  std::vector<std::string> tasks() const override { return tasks_; }
  PromptParts prompt(const Sample& s) const override {
    return mvbench_prompt(MvbenchPreset::Official, s.question, s.candidates);
  }
  Score score(const Sample& s, const std::string& generated) const override {
    return mvbench_score_official(generated, s.answer_letter, s.answer_text);
  }

  SampleVideo load_video(const Sample& s, bool decode) const override {
    const auto index = static_cast<uint64_t>(std::stoul(s.sample_id.substr(s.task.size() + 1)));
    const SynthSample drawn =
        draw_synth_sample(options_, s.task, index, answer_position_.at(s.sample_id), sampling_.num_frames);
    SampleVideo video;
    video.indices = drawn.indices;
    video.frame_count = drawn.video_frames;
    video.fps = 3.0;  // the frame-folder rate MVBench's sampler assumes
    if (decode) video.frames = drawn.frames;
    return video;
  }

  void limit(size_t n) { keep_round_robin(n); }

 private:
  SynthOptions options_;
  std::vector<std::string> tasks_;
  std::map<std::string, int> answer_position_;
};

std::vector<ParamSpec> memory_specs() {
  std::vector<ParamSpec> specs;
  for (const ParamSpec& spec : synth_param_specs())
    if (spec.name != "out") specs.push_back(spec);
  specs.push_back(dataset_param("num_frames", ParamType::Int, "16", "frames per sample (MVBench's official sampler)", {}, 1, 1024));
  for (ParamSpec& spec : sample_count_params()) specs.push_back(std::move(spec));
  return specs;
}

const Registration<Dataset> registration{{
    "synthetic_memory",
    "Synthetic shapes video-QA rendered in memory (same questions as wq synth; no files, no FFmpeg)",
    memory_specs(),
    [](const Params& params) -> std::unique_ptr<Dataset> {
      YAML::Node values = YAML::Clone(params.values());
      values["out"] = "";
      auto dataset = std::make_unique<SynthMemoryDataset>(synth_options_from(Params(values, params.section())),
                                                          static_cast<int>(params.get_int("num_frames")));
      if (params.get_int("max_samples") > 0) dataset->limit(static_cast<size_t>(params.get_int("max_samples")));
      return dataset;
    },
}};

}  // namespace
}  // namespace wq
