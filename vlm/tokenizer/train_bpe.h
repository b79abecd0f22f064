// Trains a small byte-level BPE tokenizer and writes it as a Hugging Face tokenizer.json of
// the Qwen2 layout (Split with Qwen2's pattern, ByteLevel, added special tokens), so that a
// proxy model trained here ships a tokenizer every reader of Qwen2 checkpoints understands.
#pragma once

#include <string>
#include <vector>

namespace wq::tokenizer {

// Qwen2's pre-tokenizer pattern, as in Qwen/Qwen2-7B-Instruct's tokenizer.json.
extern const char* const kQwen2SplitPattern;

struct BpeTrainingOptions {
  int merges = 256;                        // merges learned (fewer when pairs run out)
  std::vector<std::string> special_tokens;  // added after the vocabulary, in order
};

// corpus: texts the tokenizer should encode compactly. The vocabulary is the 256 byte
// symbols, then one entry per merge, then the special tokens. Deterministic: ties between
// equally frequent pairs go to the lexicographically smallest pair.
std::string train_byte_level_bpe_json(const std::vector<std::string>& corpus, const BpeTrainingOptions& options);

}  // namespace wq::tokenizer
