#include "vlm/tokenizer/train_bpe.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "vlm/tokenizer/byte_level.h"
#include "vlm/tokenizer/split_regex.h"

namespace wq::tokenizer {

const char* const kQwen2SplitPattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

namespace {

using Word = std::vector<std::string>;  // byte-level symbols

// Pre-tokenized pieces of the corpus with their counts, each split into byte symbols.
std::map<Word, long> count_words(const std::vector<std::string>& corpus, const ByteLevelAlphabet& alphabet) {
  const SplitRegex split(kQwen2SplitPattern);
  std::map<Word, long> words;
  std::vector<std::string_view> pieces;
  for (const std::string& text : corpus) {
    pieces.clear();
    split.split_isolated(text, pieces);
    for (std::string_view piece : pieces) {
      Word word;
      for (unsigned char byte : piece) word.push_back(alphabet.encode(std::string(1, char(byte))));
      ++words[word];
    }
  }
  return words;
}

void apply_merge(std::map<Word, long>& words, const std::string& left, const std::string& right) {
  std::map<Word, long> merged;
  for (auto& [word, count] : words) {
    Word out;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (i + 1 < word.size() && word[i] == left && word[i + 1] == right) {
        out.push_back(left + right);
        ++i;
      } else {
        out.push_back(word[i]);
      }
    }
    merged[out] += count;
  }
  words = std::move(merged);
}

}  // namespace

std::string train_byte_level_bpe_json(const std::vector<std::string>& corpus, const BpeTrainingOptions& options) {
  const ByteLevelAlphabet alphabet;
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int byte = 0; byte < 256; ++byte)
    vocab[alphabet.encode(std::string(1, char(byte)))] = static_cast<int>(vocab.size());
  nlohmann::json merges = nlohmann::json::array();
  std::map<Word, long> words = count_words(corpus, alphabet);
  for (int m = 0; m < options.merges; ++m) {
    std::map<std::pair<std::string, std::string>, long> pairs;
    for (const auto& [word, count] : words)
      for (std::size_t i = 0; i + 1 < word.size(); ++i) pairs[{word[i], word[i + 1]}] += count;
    const auto best = std::max_element(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && b.first < a.first);
    });
    if (best == pairs.end() || best->second < 2) break;
    const auto [left, right] = best->first;
    merges.push_back(left + " " + right);
    if (!vocab.contains(left + right)) vocab[left + right] = static_cast<int>(vocab.size());
    apply_merge(words, left, right);
  }

  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  int next_id = static_cast<int>(vocab.size());
  for (const std::string& token : options.special_tokens)
    added.push_back({{"id", next_id++}, {"content", token}, {"single_word", false}, {"lstrip", false},
                     {"rstrip", false}, {"normalized", false}, {"special", true}});
  nlohmann::ordered_json doc;
  doc["version"] = "1.0";
  doc["added_tokens"] = added;
  doc["normalizer"] = {{"type", "NFC"}};
  doc["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Split"}, {"pattern", {{"Regex", kQwen2SplitPattern}}}, {"behavior", "Isolated"}, {"invert", false}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}}}};
  doc["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  doc["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"fuse_unk", false},
                  {"byte_fallback", false}, {"ignore_merges", false}, {"vocab", vocab}, {"merges", merges}};
  return doc.dump(1);
}

}  // namespace wq::tokenizer
