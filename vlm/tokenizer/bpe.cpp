#include "vlm/tokenizer/bpe.h"

#include <queue>
#include <stdexcept>

namespace wq::tokenizer {

BpeModel::BpeModel(std::unordered_map<std::string, TokenId> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, bool ignore_merges)
    : vocab_(std::move(vocab)), ignore_merges_(ignore_merges) {
  id_to_spelling_.reserve(vocab_.size());
  for (const auto& [spelling, id] : vocab_) id_to_spelling_.emplace(id, &spelling);
  for (int b = 0; b < 256; ++b) {
    const std::string spelling = alphabet_.encode(std::string(1, static_cast<char>(b)));
    const TokenId id = find(spelling);
    if (id < 0) {
      throw std::invalid_argument("tokenizer: byte-level vocabulary lacks the token for byte " +
                                  std::to_string(b) + " ('" + spelling + "')");
    }
    byte_token_[b] = id;
  }
  merge_rank_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    const TokenId left_id = find(left), right_id = find(right), merged_id = find(left + right);
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      throw std::invalid_argument("tokenizer: merge " + std::to_string(rank) + " ('" + left + "' '" + right +
                                  "') uses a token missing from the vocabulary");
    }
    // A repeated pair keeps its first (lowest) rank, as HF's HashMap insert order does.
    merge_rank_.emplace(pair_key(left_id, right_id), MergeResult{static_cast<std::int32_t>(rank), merged_id});
  }
}

const std::string* BpeModel::spelling(TokenId id) const {
  auto it = id_to_spelling_.find(id);
  return it == id_to_spelling_.end() ? nullptr : it->second;
}

TokenId BpeModel::find(std::string_view spelling) const {
  auto it = vocab_.find(std::string(spelling));
  return it == vocab_.end() ? -1 : it->second;
}

// Applies merges to a word of byte tokens in place. A min-heap of candidate pairs keyed by
// (rank, position) reproduces HF's Word::merge_all; stale entries (a side already merged
// away) are detected by re-checking the pair's current merge result.
void BpeModel::merge_word(std::vector<TokenId>& symbols) const {
  const std::size_t n = symbols.size();
  if (n < 2) return;
  std::vector<std::int64_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (std::size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<std::int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<std::int64_t>(i + 1) : -1;
  }
  struct Candidate {
    std::int32_t rank;
    std::size_t pos;
    TokenId merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  const auto push_pair = [&](std::size_t left) {
    if (next[left] < 0) return;
    auto it = merge_rank_.find(pair_key(symbols[left], symbols[static_cast<std::size_t>(next[left])]));
    if (it != merge_rank_.end()) queue.push({it->second.rank, left, it->second.merged});
  };
  for (std::size_t i = 0; i + 1 < n; ++i) push_pair(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const auto right = static_cast<std::size_t>(next[top.pos]);
    auto it = merge_rank_.find(pair_key(symbols[top.pos], symbols[right]));
    if (it == merge_rank_.end() || it->second.merged != top.merged) continue;  // stale
    symbols[top.pos] = top.merged;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[static_cast<std::size_t>(next[right])] = static_cast<std::int64_t>(top.pos);
    if (prev[top.pos] >= 0) push_pair(static_cast<std::size_t>(prev[top.pos]));
    push_pair(top.pos);
  }
  std::size_t write = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (alive[i]) symbols[write++] = symbols[i];
  }
  symbols.resize(write);
}

void BpeModel::encode_piece(std::string_view piece_bytes, std::vector<TokenId>& out) const {
  if (piece_bytes.empty()) return;
  const bool cacheable = piece_bytes.size() <= kMaxCachedPieceBytes;
  std::string key;
  if (cacheable) {
    key.assign(piece_bytes);
    std::lock_guard<std::mutex> lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<TokenId> symbols;
  TokenId whole = -1;
  if (ignore_merges_) whole = find(alphabet_.encode(piece_bytes));
  if (whole >= 0) {
    symbols.push_back(whole);
  } else {
    symbols.reserve(piece_bytes.size());
    for (char c : piece_bytes) symbols.push_back(byte_token_[static_cast<std::uint8_t>(c)]);
    merge_word(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();  // bounded: drop all, refill lazily
    cache_.emplace(std::move(key), std::move(symbols));
  }
}

}  // namespace wq::tokenizer
