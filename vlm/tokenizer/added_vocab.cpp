#include "vlm/tokenizer/added_vocab.h"

#include <algorithm>

#include "vlm/tokenizer/utf8.h"

namespace wq::tokenizer {
namespace {

// Approximates the regex \w of HF's single_word check: ASCII letters, digits and '_', and
// any non-ASCII code point that is not whitespace. No Qwen token sets single_word.
bool is_word_char(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  return !is_unicode_whitespace(cp);
}

char32_t last_code_point(std::string_view text) {
  std::size_t start = text.size() - 1;
  while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
  return next_code_point(text, start);
}

// Start of the run of whitespace that ends `text` (text.size() when there is none).
std::size_t trailing_space_start(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0) {
    std::size_t start = end - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    std::size_t probe = start;
    if (!is_unicode_whitespace(next_code_point(text, probe))) break;
    end = start;
  }
  return end;
}

// Length of the run of whitespace that starts `text`.
std::size_t leading_space_length(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t probe = pos;
    if (!is_unicode_whitespace(next_code_point(text, probe))) break;
    pos = probe;
  }
  return pos;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<const AddedToken*> tokens) : tokens_(std::move(tokens)) {
  for (std::size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i]->content.empty()) continue;
    by_first_byte_[static_cast<unsigned char>(tokens_[i]->content[0])].push_back(i);
  }
}

std::vector<AddedSpan> AddedTokenMatcher::split(std::string_view sentence) const {
  std::vector<AddedSpan> spans;
  std::size_t text_start = 0;  // end of the previous token span
  std::size_t pos = 0;         // where the next leftmost-longest search starts
  while (pos < sentence.size()) {
    // Leftmost-longest: the first position where any token matches, the longest there.
    std::size_t match_begin = sentence.size(), match_len = 0;
    const AddedToken* match = nullptr;
    for (std::size_t at = pos; at < sentence.size() && match == nullptr; ++at) {
      for (std::size_t index : by_first_byte_[static_cast<unsigned char>(sentence[at])]) {
        const std::string& content = tokens_[index]->content;
        if (content.size() > match_len && sentence.compare(at, content.size(), content) == 0) {
          match = tokens_[index];
          match_begin = at;
          match_len = content.size();
        }
      }
    }
    if (match == nullptr) break;
    std::size_t begin = match_begin, end = match_begin + match_len;
    pos = end;  // the automaton resumes after the raw match, whatever strip does
    if (match->single_word) {
      const bool left_ok = begin == 0 || !is_word_char(last_code_point(sentence.substr(0, begin)));
      std::size_t probe = end;
      const bool right_ok = end == sentence.size() || !is_word_char(next_code_point(sentence, probe));
      if (!left_ok || !right_ok) continue;
    }
    if (match->lstrip) {
      // Spaces already consumed by the previous token's rstrip are not taken twice.
      begin = std::max(trailing_space_start(sentence.substr(0, begin)), text_start);
    }
    if (match->rstrip) end += leading_space_length(sentence.substr(end));
    if (text_start < begin) spans.push_back({text_start, begin, -1});
    spans.push_back({begin, end, match->id});
    text_start = end;
  }
  if (text_start < sentence.size()) spans.push_back({text_start, sentence.size(), -1});
  return spans;
}

}  // namespace wq::tokenizer
