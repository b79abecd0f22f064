#include "vlm/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "vlm/tokenizer/nfc.h"
#include "vlm/tokenizer/split_regex.h"
#include "vlm/tokenizer/utf8.h"

namespace wq::tokenizer {
namespace {

using nlohmann::json;

// GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex=true.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct PreTokenizerStep {
  std::unique_ptr<SplitRegex> split;  // Split, or ByteLevel with use_regex
  bool add_prefix_space = false;      // ByteLevel only
};

[[noreturn]] void unsupported(const std::string& what, const json& node) {
  throw std::invalid_argument("tokenizer.json: unsupported " + what + ": " + node.dump().substr(0, 200));
}

std::string escape_literal(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool parse_normalizer(const json& node) {  // returns whether NFC applies
  if (node.is_null()) return false;
  const std::string type = node.value("type", "");
  if (type == "NFC") return true;
  if (type == "Sequence") {
    bool nfc_seen = false;
    for (const json& child : node.at("normalizers")) nfc_seen = parse_normalizer(child) || nfc_seen;
    return nfc_seen;
  }
  unsupported("normalizer", node);
}

void parse_pre_tokenizer(const json& node, std::vector<PreTokenizerStep>& steps) {
  if (node.is_null()) return;
  const std::string type = node.value("type", "");
  if (type == "Sequence") {
    for (const json& child : node.at("pretokenizers")) parse_pre_tokenizer(child, steps);
  } else if (type == "Split") {
    if (node.value("behavior", "") != "Isolated" || node.value("invert", false)) unsupported("Split behavior", node);
    const json& pattern = node.at("pattern");
    PreTokenizerStep step;
    if (pattern.contains("Regex")) {
      step.split = std::make_unique<SplitRegex>(pattern.at("Regex").get<std::string>());
    } else {
      step.split = std::make_unique<SplitRegex>(escape_literal(pattern.at("String").get<std::string>()));
    }
    steps.push_back(std::move(step));
  } else if (type == "ByteLevel") {
    PreTokenizerStep step;
    step.add_prefix_space = node.value("add_prefix_space", false);
    if (node.value("use_regex", true)) step.split = std::make_unique<SplitRegex>(kGpt2Pattern);
    steps.push_back(std::move(step));
  } else {
    unsupported("pre_tokenizer", node);
  }
}

}  // namespace

struct Tokenizer::Impl {
  std::unique_ptr<BpeModel> model;
  std::vector<AddedToken> added;
  std::unordered_map<TokenId, std::size_t> added_by_id;
  std::unordered_map<std::string, TokenId> added_by_content;
  std::unique_ptr<AddedTokenMatcher> raw_matcher;         // normalized == false
  std::unique_ptr<AddedTokenMatcher> normalized_matcher;  // normalized == true
  bool nfc = false;
  std::vector<PreTokenizerStep> pre_steps;
  std::size_t vocab_size = 0;

  std::string normalize(std::string_view text) const { return nfc ? wq::tokenizer::nfc(text) : std::string(text); }

  // Runs the pre-tokenizer steps over one text span; pieces are raw bytes.
  std::vector<std::string> pre_tokenize(std::string_view text) const {
    std::vector<std::string> pieces{std::string(text)};
    std::vector<std::string_view> parts;
    for (const PreTokenizerStep& step : pre_steps) {
      std::vector<std::string> next;
      for (std::string& piece : pieces) {
        if (piece.empty()) continue;  // HF drops empty splits before each step
        if (step.add_prefix_space && piece[0] != ' ') piece.insert(piece.begin(), ' ');
        if (!step.split) {
          next.push_back(std::move(piece));
          continue;
        }
        parts.clear();
        step.split->split_isolated(piece, parts);
        for (std::string_view part : parts) next.emplace_back(part);
      }
      pieces = std::move(next);
    }
    return pieces;
  }

  void encode_text(std::string_view text, std::vector<TokenId>& ids) const {
    for (const std::string& piece : pre_tokenize(text)) model->encode_piece(piece, ids);
  }
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("tokenizer: cannot open " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  try {
    return from_json_text(buffer.str());
  } catch (const json::exception& e) {
    throw std::invalid_argument("tokenizer: " + path + ": " + e.what());
  }
}

Tokenizer Tokenizer::from_json_text(std::string_view json_text) {
  const json root = json::parse(json_text);
  auto impl = std::make_unique<Impl>();
  const json& model = root.at("model");
  if (model.value("type", "BPE") != "BPE") unsupported("model", model);
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model[key].is_null() && !model[key].get<std::string>().empty()) {
      unsupported(std::string("model.") + key, model[key]);
    }
  }
  if (model.value("byte_fallback", false)) unsupported("model.byte_fallback", model["byte_fallback"]);
  if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"].get<double>() > 0.0) {
    unsupported("model.dropout (training-time only)", model["dropout"]);
  }

  std::unordered_map<std::string, TokenId> vocab;
  vocab.reserve(model.at("vocab").size());
  for (const auto& [spelling, id] : model.at("vocab").items()) vocab.emplace(spelling, id.get<TokenId>());
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(model.at("merges").size());
  for (const json& merge : model.at("merges")) {
    // Older files write "left right"; tokenizers >= 0.20 writes ["left", "right"].
    if (merge.is_array() && merge.size() == 2) {
      merges.emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
      continue;
    }
    const std::string line = merge.get<std::string>();
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) unsupported("merge", merge);
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  for (const auto& [spelling, id] : vocab) impl->vocab_size = std::max(impl->vocab_size, static_cast<std::size_t>(id) + 1);
  impl->model = std::make_unique<BpeModel>(std::move(vocab), merges, model.value("ignore_merges", false));

  if (root.contains("added_tokens")) {
    for (const json& node : root.at("added_tokens")) {
      AddedToken token;
      token.id = node.at("id").get<TokenId>();
      token.content = node.at("content").get<std::string>();
      token.special = node.value("special", false);
      token.single_word = node.value("single_word", false);
      token.lstrip = node.value("lstrip", false);
      token.rstrip = node.value("rstrip", false);
      token.normalized = node.value("normalized", !token.special);
      impl->added.push_back(std::move(token));
    }
  }
  std::vector<const AddedToken*> raw, normalized;
  for (std::size_t i = 0; i < impl->added.size(); ++i) {
    const AddedToken& token = impl->added[i];
    impl->added_by_id[token.id] = i;
    impl->added_by_content[token.content] = token.id;
    impl->vocab_size = std::max(impl->vocab_size, static_cast<std::size_t>(token.id) + 1);
    (token.normalized ? normalized : raw).push_back(&token);
  }
  impl->raw_matcher = std::make_unique<AddedTokenMatcher>(std::move(raw));
  impl->normalized_matcher = std::make_unique<AddedTokenMatcher>(std::move(normalized));

  impl->nfc = root.contains("normalizer") && parse_normalizer(root["normalizer"]);
  if (root.contains("pre_tokenizer")) parse_pre_tokenizer(root["pre_tokenizer"], impl->pre_steps);
  if (root.contains("decoder") && !root["decoder"].is_null() && root["decoder"].value("type", "") != "ByteLevel") {
    unsupported("decoder", root["decoder"]);
  }
  return Tokenizer(std::move(impl));
}

std::vector<TokenId> Tokenizer::encode(std::string_view text) const {
  check_utf8(text);
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 1);
  for (const AddedSpan& span : impl_->raw_matcher->split(text)) {
    if (span.id >= 0) {
      ids.push_back(span.id);
      continue;
    }
    const std::string normalized = impl_->normalize(text.substr(span.begin, span.end - span.begin));
    for (const AddedSpan& inner : impl_->normalized_matcher->split(normalized)) {
      if (inner.id >= 0) {
        ids.push_back(inner.id);
      } else {
        impl_->encode_text(std::string_view(normalized).substr(inner.begin, inner.end - inner.begin), ids);
      }
    }
  }
  return ids;
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool skip_special_tokens) const {
  std::string bytes;
  const ByteLevelAlphabet& alphabet = impl_->model->alphabet();
  for (TokenId id : ids) {
    const std::string* token = nullptr;
    auto added = impl_->added_by_id.find(id);
    if (added != impl_->added_by_id.end()) {
      const AddedToken& entry = impl_->added[added->second];
      if (skip_special_tokens && entry.special) continue;
      token = &entry.content;
    } else {
      token = impl_->model->spelling(id);
    }
    if (token == nullptr) throw std::out_of_range("tokenizer: unknown token id " + std::to_string(id));
    // HF's ByteLevel decoder maps a token through the byte alphabet, or keeps its UTF-8
    // bytes when some character is outside the alphabet (e.g. added tokens with spaces).
    if (!alphabet.decode(*token, bytes)) bytes += *token;
  }
  return utf8_lossy(bytes);
}

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  auto added = impl_->added_by_content.find(std::string(token));
  if (added != impl_->added_by_content.end()) return added->second;
  const TokenId id = impl_->model->find(token);
  return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
}

std::optional<std::string> Tokenizer::id_to_token(TokenId id) const {
  auto added = impl_->added_by_id.find(id);
  if (added != impl_->added_by_id.end()) return impl_->added[added->second].content;
  const std::string* spelling = impl_->model->spelling(id);
  return spelling ? std::optional<std::string>(*spelling) : std::nullopt;
}

bool Tokenizer::is_special(TokenId id) const {
  auto added = impl_->added_by_id.find(id);
  return added != impl_->added_by_id.end() && impl_->added[added->second].special;
}

std::size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added; }

std::string Tokenizer::normalize(std::string_view text) const {
  check_utf8(text);
  return impl_->normalize(text);
}

std::vector<std::string> Tokenizer::pre_tokenize(std::string_view text) const {
  check_utf8(text);
  std::vector<std::string> pieces = impl_->pre_tokenize(text);
  for (std::string& piece : pieces) piece = impl_->model->alphabet().encode(piece);
  return pieces;
}

}  // namespace wq::tokenizer
