// Snapshots of the reference rules: sampled indices, prompt text byte for byte, and the
// scoring functions on the replies that expose their quirks. Expected values were produced
// by running the reference Python (get_index, np.linspace, check_ans, mcq_acc).
#include <gtest/gtest.h>

#include "datasets/mvbench/mvbench_scoring.h"
#include "datasets/video/sampling.h"
#include "datasets/videomme/videomme_dataset.h"

namespace wq {
namespace {

using V = std::vector<int64_t>;

TEST(Sampling, PythonRoundTiesToEven) {
  EXPECT_EQ(python_round(2.5), 2);
  EXPECT_EQ(python_round(3.5), 4);
  EXPECT_EQ(python_round(-2.5), -2);
  EXPECT_EQ(python_round(0.49999999), 0);
}

TEST(Sampling, MvbenchGetIndexSnapshots) {
  EXPECT_EQ(mvbench_segment_indices(std::nullopt, 10.0, 29, 0, 16),
            (V{0, 2, 4, 5, 7, 9, 11, 13, 14, 16, 18, 20, 22, 24, 25, 27}));
  EXPECT_EQ(mvbench_segment_indices(std::make_pair(0.5, 2.5), 10.0, 29, 0, 16),
            (V{5, 6, 7, 9, 10, 11, 13, 14, 15, 16, 17, 19, 20, 21, 23, 24}));
  // Frame folder: fps 3, max_frame = file count, first index 1.
  EXPECT_EQ(mvbench_segment_indices(std::make_pair(1.0, 7.0), 3.0, 24, 1, 16),
            (V{3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20}));
  EXPECT_EQ(mvbench_segment_indices(std::nullopt, 3.0, 24, 1, 16),
            (V{1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 15, 17, 18, 20, 21, 23}));
  EXPECT_EQ(mvbench_segment_indices(std::nullopt, 29.97, 299, 0, 16),
            (V{9, 28, 46, 65, 84, 102, 121, 140, 159, 177, 196, 215, 233, 252, 271, 289}));
  EXPECT_EQ(mvbench_segment_indices(std::make_pair(2.25, 9.75), 29.97, 299, 0, 16),
            (V{74, 88, 102, 116, 130, 144, 158, 172, 186, 201, 215, 229, 243, 257, 271, 285}));
  // An 8-frame gif repeats indices (read_gif then keeps each once).
  EXPECT_EQ(mvbench_segment_indices(std::nullopt, 25.0, 7, 0, 16),
            (V{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7}));
}

TEST(Sampling, LinspaceSnapshots) {
  EXPECT_EQ(linspace_indices(0, 29, 32),
            (V{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}));
  EXPECT_EQ(linspace_indices(0, 299, 32),
            (V{0, 9, 19, 28, 38, 48, 57, 67, 77, 86, 96, 106, 115, 125, 135, 144, 154, 163, 173, 183, 192, 202, 212, 221, 231, 241, 250, 260, 270, 279, 289, 299}));
  EXPECT_EQ(linspace_indices(0, 10, 1), (V{0}));
}

TEST(MvbenchPrompt, OfficialBytes) {
  const PromptParts p = mvbench_prompt(MvbenchPreset::Official, "What did the person do first?",
                                       {"Opened the door.", "Sat on the bed.  "});
  EXPECT_EQ(p.system,
            "Carefully watch the video and pay attention to the cause and sequence of events, the detail and "
            "movement of objects, and the action and pose of persons. Based on your observations, select the best "
            "option that accurately addresses the question.\n");
  // rstrip() also eats the last candidate's trailing spaces.
  EXPECT_EQ(p.user,
            "Question: What did the person do first?\nOptions:\n(A) Opened the door.\n(B) Sat on the bed."
            "\nOnly give the best option.");
  EXPECT_EQ(p.answer_prefix, "Best option:(");
}

TEST(MvbenchPrompt, LmmsEvalBytes) {
  const PromptParts p = mvbench_prompt(MvbenchPreset::LmmsEval, "Which way?", {"left", "right", "up"});
  EXPECT_EQ(p.system, "");
  EXPECT_EQ(p.user, "Question:Which way?\nOption:\n(A) left\n(B) right\n(C) up\nOnly give the best option.\n");
  EXPECT_EQ(p.answer_prefix, "");
}

TEST(MvbenchScoring, OfficialCheckAnsQuirks) {
  auto ok = [](const std::string& reply, const std::string& letter) {
    return mvbench_score_official(reply, letter, "some answer").correct;
  };
  EXPECT_TRUE(ok("A) some answer", "A"));
  EXPECT_FALSE(ok("B) other", "A"));
  EXPECT_TRUE(ok("", "C"));           // "(" is inside "(c)": an empty reply counts
  EXPECT_TRUE(ok("   \n", "D"));      // ... so does whitespace
  EXPECT_TRUE(ok("A", "A"));          // "(a"
  EXPECT_TRUE(ok("A.", "A"));         // dots dropped
  EXPECT_TRUE(ok("A)opt", "A"));      // "(a)opt" contains "(a)"
  EXPECT_TRUE(ok("(A) x", "A"));      // "((a)" contains "(a)"
  EXPECT_FALSE(ok("Answer: A", "A")); // first token "(answer:"
  EXPECT_TRUE(ok("b)\nA)", "B"));     // only the first line; lower-cased
  EXPECT_FALSE(ok("B\tsomething", "B"));  // split(' ') keeps the tab: "(b\tsomething"
  // The answer is not among the candidates: the reference's letter is chr(ord('A') - 1).
  EXPECT_TRUE(mvbench_score_official("@) x", "@", "x").correct);
}

TEST(MvbenchScoring, Strict) {
  EXPECT_TRUE(mvbench_score_strict("A) opened", "A").correct);
  EXPECT_TRUE(mvbench_score_strict(" C", "C").correct);
  EXPECT_TRUE(mvbench_score_strict("(B)", "B").correct);
  EXPECT_FALSE(mvbench_score_strict("", "A").correct);
  EXPECT_FALSE(mvbench_score_strict("Answer A", "A").correct);
  EXPECT_FALSE(mvbench_score_strict("F)", "F").correct);
  EXPECT_EQ(mvbench_score_strict("D.", "A").parsed, "D");
}

TEST(MvbenchScoring, LmmsEvalMcqAcc) {
  EXPECT_EQ(lmms_mcq_process("A. The man"), "A");
  EXPECT_EQ(lmms_mcq_process("(B) left"), "B");
  EXPECT_EQ(lmms_mcq_process("The answer is (C)."), "C");
  EXPECT_EQ(lmms_mcq_process("a"), "A");
  EXPECT_EQ(lmms_mcq_process("Apple"), "apple");  // no standalone letter: normalised text
  EXPECT_EQ(lmms_mcq_process("I think b"), "B");
  EXPECT_TRUE(mvbench_score_lmms_eval("B", "B").correct);
  EXPECT_FALSE(mvbench_score_lmms_eval("C", "B").correct);
  const Score empty = mvbench_score_lmms_eval("", "B");
  EXPECT_FALSE(empty.counted);  // aggregation skips empty predictions
}

TEST(AccuracyTally, PooledAndPerTask) {
  AccuracyTally tally;
  tally.add("a", Score{true, true, ""});
  tally.add("a", Score{false, true, ""});
  tally.add("b", Score{true, true, ""});
  tally.add("b", Score{true, true, ""});
  tally.add("b", Score{true, true, ""});
  tally.add("b", Score{false, true, ""});
  tally.add("b", Score{false, false, ""});  // not counted
  EXPECT_DOUBLE_EQ(tally.pooled(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(tally.group("a"), 0.5);
  EXPECT_DOUBLE_EQ(tally.group("b"), 0.75);
  EXPECT_DOUBLE_EQ(tally.mean_of_groups(), 0.625);
  EXPECT_EQ(tally.order(), (std::vector<std::string>{"a", "b"}));
}

TEST(Videomme, ExtractCharactersRegex) {
  EXPECT_EQ(videomme_extract_letter("B"), "B");
  EXPECT_EQ(videomme_extract_letter("The best answer is C."), "C");
  EXPECT_EQ(videomme_extract_letter("The answer is D"), "D");
  EXPECT_EQ(videomme_extract_letter("no letter here"), "");
  // Missing commas in the reference list: "Best option:" is never removed, so the 'B' of
  // "Best" wins.
  EXPECT_EQ(videomme_extract_letter("Best option: C"), "B");
}

TEST(Videomme, McqExtract) {
  EXPECT_EQ(mcq_extract_letter("The correct answer is (B)."), "B");
  EXPECT_EQ(mcq_extract_letter("C"), "C");
  EXPECT_EQ(mcq_extract_letter("Best option: C"), "C");
  EXPECT_EQ(mcq_extract_letter("A. cat"), "A");
  EXPECT_EQ(mcq_extract_letter(""), "");
  EXPECT_EQ(mcq_extract_letter("xyz"), "");
}

}  // namespace
}  // namespace wq
