// Byte-level BPE model: vocabulary, merge ranks and the merge loop of HF tokenizers'
// `models::bpe` (lowest rank first, leftmost on ties), with a bounded word cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "vlm/tokenizer/byte_level.h"

namespace wq::tokenizer {

using TokenId = std::int32_t;

class BpeModel {
 public:
  // vocab: byte-level spelling -> id; merges in rank order as (left, right) spellings.
  // Throws std::invalid_argument when a merge names a token missing from the vocabulary
  // or when some byte has no single-character token (byte-level BPE must cover all 256).
  BpeModel(std::unordered_map<std::string, TokenId> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges);

  // Token ids of one pre-tokenized piece given as raw bytes (not its byte-level spelling).
  // Thread-safe; results for pieces up to kMaxCachedPieceBytes are cached.
  void encode_piece(std::string_view piece_bytes, std::vector<TokenId>& out) const;

  // Byte-level spelling of `id`, or nullptr when the id is not in the vocabulary.
  const std::string* spelling(TokenId id) const;
  // Id of a byte-level spelling, or -1.
  TokenId find(std::string_view spelling) const;
  std::size_t vocab_size() const { return vocab_.size(); }
  std::size_t merge_count() const { return merge_rank_.size(); }
  const ByteLevelAlphabet& alphabet() const { return alphabet_; }

  static constexpr std::size_t kMaxCachedPieceBytes = 256;
  static constexpr std::size_t kMaxCacheEntries = 10000;  // HF's default cache capacity

 private:
  struct MergeResult {
    std::int32_t rank;
    TokenId merged;
  };
  static std::uint64_t pair_key(TokenId left, TokenId right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
           static_cast<std::uint32_t>(right);
  }
  void merge_word(std::vector<TokenId>& symbols) const;

  ByteLevelAlphabet alphabet_;
  std::unordered_map<std::string, TokenId> vocab_;
  std::unordered_map<TokenId, const std::string*> id_to_spelling_;
  std::unordered_map<std::uint64_t, MergeResult> merge_rank_;
  TokenId byte_token_[256] = {};
  bool ignore_merges_ = false;

  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<TokenId>> cache_;
};

}  // namespace wq::tokenizer
