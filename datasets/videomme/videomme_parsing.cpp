// VideoMME answer extraction, both lmms-eval generations (see videomme_dataset.h).
#include <algorithm>
#include <cctype>
#include <sstream>
#include <tuple>

#include "datasets/mvbench/mvbench_scoring.h"
#include "datasets/videomme/videomme_dataset.h"

namespace wq {
namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while (!from.empty() && (pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// str.isalpha on one character; bytes of multi-byte UTF-8 sequences count as letters
// (most non-ASCII characters a model emits next to a letter are CJK/Hangul letters).
bool py_isalpha(unsigned char c) { return std::isalpha(c) || c >= 0x80; }

}  // namespace

std::string videomme_extract_letter(const std::string& reply) {
  std::string s = python_strip(reply);
  // Verbatim list, missing commas included: Python concatenates the adjacent literals.
  static const char* const prefixes[] = {
      "The best answer is", "The correct answer is", "The answer is", "The answer",
      "The best option isThe correct option is", "Best answer:Best option:"};
  for (const char* prefix : prefixes) s = replace_all(s, prefix, "");
  // `len(s.split()) > 10 and no [ABCD]` returns "" - the same as the search below failing.
  const size_t pos = s.find_first_of("ABCD");
  return pos == std::string::npos ? std::string() : s.substr(pos, 1);
}

std::string mcq_extract_letter(const std::string& reply, const std::string& choices) {
  if (python_strip(reply).empty()) return "";
  std::string text = python_strip(reply);
  for (char c : std::string(",.!?;:'\"")) {
    size_t b = 0, e = text.size();
    while (b < e && text[b] == c) ++b;
    while (e > b && text[e - 1] == c) --e;
    text = text.substr(b, e - b);
  }
  text = " " + text + " ";

  enum Priority { Fallback = 0, Space = 2, RightParen = 3, Colon = 4, Period = 5, Parens = 6, Phrase = 7, End = 9, Start = 10 };
  std::vector<std::tuple<int, long long, char>> candidates;  // (priority, position, letter)
  auto add_rfind = [&](const std::string& needle, char ch, int priority) {
    const size_t pos = text.rfind(needle);
    if (pos != std::string::npos) candidates.emplace_back(priority, static_cast<long long>(pos), ch);
  };
  for (char ch : choices) add_rfind(std::string("(") + ch + ")", ch, Parens);
  for (char ch : choices) add_rfind(std::string(1, ch) + ".", ch, Period);
  for (char ch : choices) add_rfind(std::string(1, ch) + ":", ch, Colon);
  for (char ch : choices) add_rfind(std::string(1, ch) + ")", ch, RightParen);
  for (char ch : choices) add_rfind(std::string(1, ch) + " ", ch, Space);

  static const char* const phrases[] = {
      "the answer is", "answer is", "the correct answer is", "correct answer is",
      "the best answer is", "best answer is", "the correct option is", "correct option is",
      "the best option is", "best option is", "the choice is", "choice is",
      "the correct choice is", "correct choice is", "i choose", "i select", "i pick",
      "my answer is", "my choice is",
      "\xec\x98\xb5\xec\x85\x98", "\xec\xa0\x95\xeb\x8b\xb5\xec\x9d\x80", "\xeb\x8b\xb5\xec\x9d\x80",
      "\xeb\x8b\xb5:", "\xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf", "\xe7\xad\x94\xe6\xa1\x88\xe4\xb8\xba",
      "\xe9\x80\x89", "\xe7\xad\x94\xe3\x81\x88\xe3\x81\xaf"};
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* phrase : phrases) {
    const size_t idx = lower.find(phrase);
    if (idx == std::string::npos) continue;
    const size_t after = idx + std::string(phrase).size();
    for (char ch : choices) {
      const size_t pos = text.find(ch, after);
      if (pos != std::string::npos) candidates.emplace_back(Phrase, static_cast<long long>(pos), ch);
    }
  }
  const std::string stripped = python_strip(text);
  for (char ch : choices)
    if (!stripped.empty() && stripped.front() == ch &&
        (stripped.size() == 1 || !py_isalpha(static_cast<unsigned char>(stripped[1]))))
      candidates.emplace_back(Start, 0, ch);
  for (char ch : choices)
    if (!stripped.empty() && stripped.back() == ch &&
        (stripped.size() == 1 || !py_isalpha(static_cast<unsigned char>(stripped[stripped.size() - 2]))))
      candidates.emplace_back(End, static_cast<long long>(text.size()) - 1, ch);
  if (candidates.empty())
    for (char ch : choices) add_rfind(std::string(1, ch), ch, Fallback);
  if (candidates.empty()) return "";
  // sort(key=(priority, position), reverse=True) is stable: first of the maxima wins.
  auto best = candidates.begin();
  for (auto it = candidates.begin(); it != candidates.end(); ++it)
    if (std::make_pair(std::get<0>(*it), std::get<1>(*it)) > std::make_pair(std::get<0>(*best), std::get<1>(*best)))
      best = it;
  return std::string(1, std::get<2>(*best));
}

}  // namespace wq
