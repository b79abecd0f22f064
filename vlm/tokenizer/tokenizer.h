// Byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json (Qwen2, Qwen2-VL,
// LLaVA-OneVision-Qwen2, Qwen3). Pipeline, as HF tokenizers runs it:
//   added tokens on raw text -> normalizer (NFC) -> added tokens with normalized=true ->
//   pre-tokenizer (Split regex, ByteLevel) -> BPE merges -> ids.
// encode() equals HF `Tokenizer.encode(text, add_special_tokens=False).ids`: the
// post-processor is not applied (Qwen's ByteLevel post-processor adds nothing).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vlm/tokenizer/added_vocab.h"
#include "vlm/tokenizer/bpe.h"

namespace wq::tokenizer {

class Tokenizer {
 public:
  // Throws std::runtime_error naming the file, or std::invalid_argument naming the JSON
  // field, for an unreadable file or a component this implementation does not support.
  static Tokenizer from_file(const std::string& path);
  static Tokenizer from_json_text(std::string_view json_text);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // text: UTF-8 (std::invalid_argument otherwise) -> token ids. Thread-safe.
  std::vector<TokenId> encode(std::string_view text) const;
  // ids -> UTF-8 text; invalid byte sequences become U+FFFD as in HF. Unknown ids throw
  // std::out_of_range.
  std::string decode(const std::vector<TokenId>& ids, bool skip_special_tokens = false) const;

  // Added-token content or byte-level vocabulary spelling -> id.
  std::optional<TokenId> token_to_id(std::string_view token) const;
  // id -> added-token content or byte-level spelling (e.g. "Ġhello").
  std::optional<std::string> id_to_token(TokenId id) const;
  bool is_special(TokenId id) const;
  // One past the largest id (BPE vocabulary and added tokens).
  std::size_t vocab_size() const;
  const std::vector<AddedToken>& added_tokens() const;

  // The normalizer alone (identity when tokenizer.json has none).
  std::string normalize(std::string_view text) const;
  // The pre-tokenizer alone, pieces in byte-level spelling (HF pre_tokenize_str); added
  // tokens are not split off. For diagnostics.
  std::vector<std::string> pre_tokenize(std::string_view text) const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wq::tokenizer
