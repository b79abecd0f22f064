#include "datasets/mvbench/mvbench_scoring.h"

#include <cctype>
#include <stdexcept>

namespace wq {

const char* const kMvbenchSystem =
    "Carefully watch the video and pay attention to the cause and sequence of events, the "
    "detail and movement of objects, and the action and pose of persons. Based on your "
    "observations, select the best option that accurately addresses the question.\n";
const char* const kMvbenchQuestionSuffix = "\nOnly give the best option.";
const char* const kMvbenchAnswerPrefix = "Best option:(";

MvbenchPreset parse_mvbench_preset(const std::string& text) {
  if (text == "official") return MvbenchPreset::Official;
  if (text == "lmms_eval") return MvbenchPreset::LmmsEval;
  throw std::invalid_argument("unknown MVBench preset '" + text + "' (official | lmms_eval)");
}

MvbenchScoring parse_mvbench_scoring(const std::string& text) {
  if (text == "official") return MvbenchScoring::Official;
  if (text == "strict") return MvbenchScoring::Strict;
  if (text == "lmms_eval") return MvbenchScoring::LmmsEval;
  throw std::invalid_argument("unknown MVBench scoring '" + text + "' (official | strict | lmms_eval)");
}

namespace {
bool is_py_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f); }
std::string ascii_lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}
std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}
// Python's str.strip(chars) for a single character.
std::string strip_char(const std::string& text, char c) {
  size_t b = 0, e = text.size();
  while (b < e && text[b] == c) ++b;
  while (e > b && text[e - 1] == c) --e;
  return text.substr(b, e - b);
}
bool is_word(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }
}  // namespace

std::string python_strip(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && is_py_space(text[b])) ++b;
  while (e > b && is_py_space(text[e - 1])) --e;
  return text.substr(b, e - b);
}

std::string python_rstrip(const std::string& text) {
  size_t e = text.size();
  while (e > 0 && is_py_space(text[e - 1])) --e;
  return text.substr(0, e);
}

PromptParts mvbench_prompt(MvbenchPreset preset, const std::string& question,
                           const std::vector<std::string>& candidates) {
  PromptParts parts;
  if (preset == MvbenchPreset::Official) {
    // qa_template: rstrip() removes the last "\n" and any trailing whitespace of the last
    // candidate; infer_mvbench appends question_prompt.
    std::string text = "Question: " + question + "\nOptions:\n";
    for (size_t i = 0; i < candidates.size(); ++i)
      text += "(" + option_letter(static_cast<int>(i)) + ") " + candidates[i] + "\n";
    parts.system = kMvbenchSystem;
    parts.user = python_rstrip(text) + kMvbenchQuestionSuffix;
    parts.answer_prefix = kMvbenchAnswerPrefix;
  } else {
    std::string text = "Question:" + question + "\nOption:\n";
    for (size_t i = 0; i < candidates.size(); ++i)
      text += "(" + option_letter(static_cast<int>(i)) + ") " + candidates[i] + "\n";
    parts.user = text + "Only give the best option.\n";
  }
  return parts;
}

Score mvbench_score_official(const std::string& reply, const std::string& answer_letter,
                             const std::string& answer_text) {
  // infer_mvbench: llm_message = return_prompt + llm_message.strip().split('\n')[0]
  const std::string stripped = python_strip(reply);
  const std::string pred = "(" + stripped.substr(0, stripped.find('\n'));
  // check_ans: first ' '-separated token of each, lower-cased (split(' '), not split()).
  const std::string gt = "(" + answer_letter + ") " + answer_text;
  const std::string pred_option = ascii_lower(pred.substr(0, pred.find(' ')));
  const std::string gt_option = ascii_lower(gt.substr(0, gt.find(' ')));
  // Substring tests both ways: "(" alone (an empty reply) is inside "(a)", so it counts.
  const bool flag = gt_option.find(replace_all(pred_option, ".", "")) != std::string::npos ||
                    pred_option.find(gt_option) != std::string::npos;
  return Score{flag, true, pred_option};
}

Score mvbench_score_strict(const std::string& reply, const std::string& answer_letter) {
  std::string text = python_strip(reply);
  if (!text.empty() && text[0] == '(') text = text.substr(1);
  std::string letter;
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'E' &&
      (text.size() == 1 || text[1] == ')' || text[1] == '.' || is_py_space(text[1])))
    letter = text.substr(0, 1);
  return Score{!letter.empty() && letter == answer_letter, true, letter};
}

std::string lmms_mcq_process(const std::string& input) {
  // option_regex ^([A-E])\.\s*(.+)$ (IGNORECASE) on answer.strip(): '.' stops at '\n' and
  // '$' only matches at the end, so the rest after the spaces must hold no newline.
  {
    const std::string s = python_strip(input);
    const char first = s.empty() ? '\0' : static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    if (s.size() >= 2 && first >= 'A' && first <= 'E' && s[1] == '.') {
      // \s* may give back characters, but the best case for .+$ is the shortest tail.
      size_t tail = 2;
      while (tail < s.size() && is_py_space(s[tail])) ++tail;
      if (tail < s.size() && s.find('\n', tail) == std::string::npos) return std::string(1, first);
    }
  }
  std::string answer = replace_all(replace_all(input, "\n", " "), "\t", " ");
  answer = python_strip(answer);
  {
    // processPunctuation: the test reads the original text, the edits go to the copy.
    static const char* const punct[] = {";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+",
                                        "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"};
    bool comma_digit = false;  // commaStrip (\d)(\,)(\d)
    for (size_t i = 1; i + 1 < answer.size(); ++i)
      if (answer[i] == ',' && std::isdigit(static_cast<unsigned char>(answer[i - 1])) &&
          std::isdigit(static_cast<unsigned char>(answer[i + 1])))
        comma_digit = true;
    std::string out = answer;
    for (const char* p : punct) {
      const std::string ps(p);
      const bool drop = answer.find(ps + " ") != std::string::npos ||
                        answer.find(" " + ps) != std::string::npos || comma_digit;
      out = replace_all(out, ps, drop ? "" : " ");
    }
    // periodStrip.sub("", out, re.UNICODE): the third positional argument is `count`, so at
    // most re.UNICODE == 32 periods go. "(?!<=\d)" is a lookahead that never fails here,
    // so the pattern is "a '.' not followed by a digit".
    std::string stripped;
    int removed = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      const bool next_digit = i + 1 < out.size() && std::isdigit(static_cast<unsigned char>(out[i + 1]));
      if (out[i] == '.' && !next_digit && removed < 32) {
        ++removed;
        continue;
      }
      stripped += out[i];
    }
    answer = stripped;
  }
  answer = strip_char(answer, '\'');
  answer = strip_char(answer, '"');
  answer = strip_char(answer, ')');
  answer = strip_char(answer, '(');
  answer = ascii_lower(python_strip(answer));
  // re.search(r"\b([A-E])\b", answer, IGNORECASE): first single letter a-e standing alone.
  for (size_t i = 0; i < answer.size(); ++i) {
    const char c = answer[i];
    if (c < 'a' || c > 'e') continue;
    const bool left = i == 0 || !is_word(answer[i - 1]);
    const bool right = i + 1 == answer.size() || !is_word(answer[i + 1]);
    if (left && right) return std::string(1, static_cast<char>(c - 'a' + 'A'));
  }
  return answer;
}

Score mvbench_score_lmms_eval(const std::string& reply, const std::string& answer_letter) {
  Score score;
  score.parsed = lmms_mcq_process(reply);
  score.correct = score.parsed == lmms_mcq_process(answer_letter);
  // mvbench_aggregate_results counts only results whose raw pred is "" -> skipped.
  score.counted = !reply.empty();
  return score;
}

}  // namespace wq
