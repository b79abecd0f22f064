// The pre-tokenizer's Split step: a PCRE2 regex (UTF + UCP, so \p{L}, \p{N} and \s are
// Unicode-aware) cutting text into pieces. HF tokenizers compiles the same pattern with
// Oniguruma; the one known difference is \s, which in PCRE2 also matches U+180E (see
// docs/tokenizer.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wq::tokenizer {

class SplitRegex {
 public:
  // Throws std::invalid_argument with PCRE2's message when the pattern does not compile.
  explicit SplitRegex(const std::string& pattern);
  ~SplitRegex();
  SplitRegex(const SplitRegex&) = delete;
  SplitRegex& operator=(const SplitRegex&) = delete;

  // HF `SplitDelimiterBehavior::Isolated`: every match and every gap between matches is a
  // piece, in order. `text` must be valid UTF-8. Thread-safe (per-call match data).
  void split_isolated(std::string_view text, std::vector<std::string_view>& pieces) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Impl;
  std::string pattern_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wq::tokenizer
