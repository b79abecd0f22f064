// VideoMME adapter following lmms-eval's `videomme` task (lmms_eval/tasks/videomme/utils.py):
// prompt, answer extraction and short/medium/long buckets. Subtitles are off.
#pragma once

#include <string>
#include <vector>

#include "core/config/registry.h"
#include "datasets/dataset.h"

namespace wq {

extern const char* const kVideommeInstruction;  // "Select the best answer ... option."
extern const char* const kVideommePostPrompt;   // "\nAnswer with the option's letter ..."

enum class VideommeParsing {
  LmmsEval,    // extract_characters_regex before 2026-04 (the published lmms-eval tables)
  McqExtract,  // lmms_eval/tasks/_task_utils/mcq_extract.py (lmms-eval since #1274)
};

// extract_characters_regex as lmms-eval shipped it until April 2026, quirks included
// (two missing commas merge answer prefixes into strings that never match).
std::string videomme_extract_letter(const std::string& reply);
// extract_mcq_answer(reply, choices=A-D).
std::string mcq_extract_letter(const std::string& reply, const std::string& choices = "ABCD");

struct VideommeOptions {
  std::string root;                      // holds the annotation file and data/
  std::string annotations = "videomme.json";  // JSON list or JSONL of the HF parquet rows
  std::string video_dir = "data";        // <videoID>.mp4 (or .MP4 / .mkv) under root
  std::vector<std::string> durations;    // subset of short/medium/long; empty = all
  int num_frames = 32;                   // uniform (linspace) frames per video
  VideommeParsing parsing = VideommeParsing::LmmsEval;
  int limit = 0;                         // first N questions; 0 = all
  int max_samples = 0;                   // 0 = all; else N spread over the tasks (round robin)
};

class VideommeDataset : public Dataset {
 public:
  explicit VideommeDataset(VideommeOptions options);
  std::string name() const override { return "videomme"; }
  // Duration buckets present, in short/medium/long order (the per-bucket report's groups).
  std::vector<std::string> tasks() const override;
  PromptParts prompt(const Sample& sample) const override;
  Score score(const Sample& sample, const std::string& generated) const override;

 private:
  VideommeOptions options_;
};

}  // namespace wq
