// Added tokens (tokenizer.json `added_tokens`): matched in the text before the BPE model
// runs, as HF tokenizers' AddedVocabulary does. Tokens with normalized=false are matched on
// the raw text, the others on the normalized remainder; matching is leftmost-longest and
// honours single_word, lstrip and rstrip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wq::tokenizer {

struct AddedToken {
  std::int32_t id = -1;
  std::string content;
  bool special = false;      // skipped by decode(skip_special_tokens=true)
  bool single_word = false;  // only matches when not inside a word
  bool lstrip = false;       // swallows whitespace on its left
  bool rstrip = false;       // swallows whitespace on its right
  bool normalized = false;   // matched after normalization instead of on the raw text
};

// A span of the input: an added token (id >= 0) or text for the model (id == -1).
struct AddedSpan {
  std::size_t begin = 0, end = 0;
  std::int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  explicit AddedTokenMatcher(std::vector<const AddedToken*> tokens);

  // Splits `sentence` into token and text spans covering it in order (HF find_matches).
  std::vector<AddedSpan> split(std::string_view sentence) const;
  bool empty() const { return tokens_.empty(); }

 private:
  std::vector<const AddedToken*> tokens_;
  std::vector<std::size_t> by_first_byte_[256];  // candidate tokens per leading byte
};

}  // namespace wq::tokenizer
