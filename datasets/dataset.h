// The benchmark-facing dataset interface: samples, prompt rules, answer scoring.
// MVBench, VideoMME and the synthetic benchmark all implement it (docs/datasets.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "datasets/video/frames.h"

namespace wq {

// One-line failure tied to one sample or file ("<path>: <reason>"). The runner records the
// sample as failed with this message; datasets never skip a sample silently.
class DatasetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a sample's pixels come from; the kind decides fps and index base (see sampling.h).
enum class SourceKind { VideoFile, FrameFolder, Gif };
const char* source_kind_name(SourceKind kind);
SourceKind parse_source_kind(const std::string& text);  // "video" | "frame" | "gif"

// How frame indices are chosen for a sample.
enum class SamplingRule {
  SegmentMiddle,  // MVBench get_index: middle of N equal segments inside [start, end]
  Linspace,       // np.linspace(first, last, N, dtype=int) over the whole clip (lmms-eval)
};

struct FrameSampling {
  SamplingRule rule = SamplingRule::SegmentMiddle;
  int num_frames = 16;
  bool use_bounds = true;  // honour Sample::bound (MVBench official); lmms-eval ignores it
};

struct Sample {
  std::string sample_id;  // unique within the dataset, e.g. "action_sequence/0007"
  std::string task;       // task id ("action_sequence") or VideoMME task_type
  std::string video_id;   // as the annotation names it
  std::string video_path; // video file, gif, or frame folder
  SourceKind source = SourceKind::VideoFile;
  double fixed_fps = 0;   // >0: fps the reference assumes (frame folders 3, gifs 25)
  std::string question;
  std::vector<std::string> candidates;  // option texts, in order (VideoMME: "A. ...")
  std::string answer_letter;  // "A".."E"; "@" when the answer is not among the candidates
  std::string answer_text;
  std::optional<std::pair<double, double>> bound;  // [start, end] seconds
  std::string duration_bucket;                     // VideoMME: short | medium | long
  std::vector<int64_t> evidence_frames;  // synthetic only: frames (reader's index space)
  std::map<std::string, std::string> extra;  // other annotation fields kept for results
};

// Frames of one sample, in the order of `indices` (repeats allowed, as the reference).
struct SampleVideo {
  std::vector<int64_t> indices;  // frame indices in the source's index space
  int64_t frame_count = 0;       // frames in the source (files for a frame folder)
  double fps = 0;                // fps used by the sampling rule
  Frames frames;                 // RGB uint8 [F][H][W][3]; empty when not decoded
};

// The prompt pieces a model family places into its chat template.
struct PromptParts {
  std::string system;         // system message ("" = none)
  std::string user;           // text after the video in the user turn
  std::string answer_prefix;  // text the assistant turn starts with ("Best option:(")
};

// Outcome of scoring one reply. `counted` is false when the protocol drops the sample
// from the denominator (lmms-eval's MVBench aggregation skips empty replies).
struct Score {
  bool correct = false;
  bool counted = true;
  std::string parsed;  // what the parser extracted (letter or normalised token)
};

class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual std::string name() const = 0;
  const std::vector<Sample>& samples() const { return samples_; }
  size_t size() const { return samples_.size(); }
  const Sample& sample(size_t i) const { return samples_.at(i); }
  // Task ids in reporting order.
  virtual std::vector<std::string> tasks() const = 0;

  virtual PromptParts prompt(const Sample& sample) const = 0;
  // generated: the model's raw decoded reply (without the answer prefix).
  virtual Score score(const Sample& sample, const std::string& generated) const = 0;

  const FrameSampling& sampling() const { return sampling_; }
  // Frame indices by the dataset's rule, and the frames when decode=true.
  // Throws DatasetError naming the file when it cannot be read.
  // Virtual for datasets whose pixels are not files (the in-memory synthetic benchmark).
  virtual SampleVideo load_video(const Sample& sample, bool decode = true) const;

 protected:
  // Keeps at most n samples: the first of every task, then the second of every task, ...,
  // each task's samples staying in their order (so a small run still covers every task).
  void keep_round_robin(size_t n);

  std::vector<Sample> samples_;
  FrameSampling sampling_;
};

// Accuracy per group (task or duration bucket) and pooled over all counted samples, as the
// references report it ("Avg" of MVBench is pooled, not a mean of task accuracies).
class AccuracyTally {
 public:
  void add(const std::string& group, const Score& score);
  int64_t correct() const { return correct_; }
  int64_t total() const { return total_; }
  double pooled() const;          // correct / total over counted samples (0 when empty)
  double mean_of_groups() const;  // unweighted mean of per-group accuracies
  double group(const std::string& name) const;
  // group -> (correct, total), in first-seen order kept by `order()`.
  const std::map<std::string, std::pair<int64_t, int64_t>>& groups() const { return groups_; }
  const std::vector<std::string>& order() const { return order_; }

 private:
  std::map<std::string, std::pair<int64_t, int64_t>> groups_;
  std::vector<std::string> order_;
  int64_t correct_ = 0, total_ = 0;
};

// Letter of option i (0 -> "A"); the reference computes chr(ord('A') + i), so -1 -> "@".
std::string option_letter(int index);

}  // namespace wq
