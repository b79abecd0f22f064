// MVBench prompts and answer scoring, reproduced from the two references byte for byte:
//   official: OpenGVLab/Ask-Anything video_chat2/mvbench.ipynb (qa_template, infer_mvbench,
//             check_ans)
//   lmms_eval: EvolvingLMMs-Lab/lmms-eval lmms_eval/tasks/mvbench/utils.py (doc_to_text,
//             mcq_acc, aggregate)
#pragma once

#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace wq {

enum class MvbenchPreset { Official, LmmsEval };
enum class MvbenchScoring { Official, Strict, LmmsEval };
MvbenchPreset parse_mvbench_preset(const std::string& text);    // official | lmms_eval
MvbenchScoring parse_mvbench_scoring(const std::string& text);  // official | strict | lmms_eval

extern const char* const kMvbenchSystem;         // "Carefully watch ... question.\n"
extern const char* const kMvbenchQuestionSuffix; // "\nOnly give the best option."
extern const char* const kMvbenchAnswerPrefix;   // "Best option:("

// The prompt pieces for one question under a preset.
PromptParts mvbench_prompt(MvbenchPreset preset, const std::string& question,
                           const std::vector<std::string>& candidates);

// Python's str.strip()/rstrip() whitespace set (ASCII part plus \x1c-\x1f).
std::string python_strip(const std::string& text);
std::string python_rstrip(const std::string& text);

// official: pred = "(" + first line of reply.strip(); check_ans(pred, "(X) answer").
Score mvbench_score_official(const std::string& reply, const std::string& answer_letter,
                             const std::string& answer_text);
// strict: the reply must start with the letter itself (A-E, optionally after "("), followed
// by ')', '.', whitespace or the end, and equal the answer letter.
Score mvbench_score_strict(const std::string& reply, const std::string& answer_letter);
// lmms_eval: mcq_acc(gt_letter, reply); an empty reply is not counted (aggregation quirk).
Score mvbench_score_lmms_eval(const std::string& reply, const std::string& answer_letter);

// mcq_acc's `process` (exposed for tests).
std::string lmms_mcq_process(const std::string& answer);

}  // namespace wq
