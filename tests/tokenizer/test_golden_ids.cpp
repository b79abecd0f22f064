// The C++ tokenizer against HF tokenizers 0.23.2 on the real Qwen tokenizer.json:
// tests/data/tokenizer/expected_ids.json (scripts/golden/make_tokenizer_fixture.py).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tokenizer/tokenizer_test_util.h"

namespace wq::tokenizer {
namespace {

using testing::kMissingAssets;
using testing::load_fixture;
using testing::golden_cases;
using testing::qwen_tokenizer;

TEST(GoldenIds, FixtureIsWellFormed) {
  const nlohmann::json fixture = load_fixture("expected_ids.json");
  const nlohmann::json strings = load_fixture("strings.json");
  ASSERT_EQ(fixture.at("cases").size(), strings.size());
  EXPECT_EQ(fixture.at("tokenizers_version"), "0.23.2");
  EXPECT_GE(strings.size(), 300u);
}

TEST(GoldenIds, EveryStringMatchesHfTokenizers) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  const nlohmann::json& cases = golden_cases();
  std::size_t matched = 0;
  for (const nlohmann::json& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    const std::vector<TokenId> expected = c.at("ids").get<std::vector<TokenId>>();
    const std::vector<TokenId> actual = tok->encode(text);
    EXPECT_EQ(actual, expected) << "text: " << c.at("text").dump();
    if (actual == expected) ++matched;
  }
  EXPECT_EQ(matched, cases.size()) << matched << " of " << cases.size() << " strings match";
}

TEST(GoldenIds, DecodeMatchesHfTokenizers) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  for (const nlohmann::json& c : golden_cases()) {
    const std::vector<TokenId> ids = c.at("ids").get<std::vector<TokenId>>();
    EXPECT_EQ(tok->decode(ids), c.at("decoded").get<std::string>()) << "text: " << c.at("text").dump();
  }
}

TEST(GoldenIds, NormalizerMatchesHfNfc) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  int changed = 0;
  for (const nlohmann::json& c : golden_cases()) {
    const std::string text = c.at("text").get<std::string>();
    const std::string expected = c.at("normalized").get<std::string>();
    EXPECT_EQ(tok->normalize(text), expected) << "text: " << c.at("text").dump();
    changed += expected != text;
  }
  EXPECT_GE(changed, 15) << "the fixture should exercise NFC on decomposed input";
}

TEST(GoldenIds, PreTokenizerPiecesMatchHf) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  for (const nlohmann::json& c : golden_cases()) {
    const std::string text = c.at("text").get<std::string>();
    EXPECT_EQ(tok->pre_tokenize(text), c.at("pieces").get<std::vector<std::string>>()) << "text: " << c.at("text").dump();
  }
}

TEST(QwenTokenizer, KnownIdsAndSpecialTokens) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  EXPECT_EQ(tok->vocab_size(), 151669u);
  EXPECT_EQ(tok->token_to_id("<|im_start|>"), 151644);
  EXPECT_EQ(tok->token_to_id("<|video_pad|>"), 151656);
  EXPECT_EQ(tok->id_to_token(151645), "<|im_end|>");
  EXPECT_TRUE(tok->is_special(151644));
  EXPECT_FALSE(tok->is_special(151657));  // <tool_call> is added but not special
  EXPECT_EQ(tok->token_to_id("Ġhello"), tok->encode(" hello").at(0));
  const std::vector<TokenId> ids = tok->encode("<|im_start|>user\nhi<|im_end|>");
  EXPECT_EQ(tok->decode(ids, /*skip_special_tokens=*/true), "user\nhi");
  EXPECT_THROW(tok->encode(std::string("\xff\xfe", 2)), std::invalid_argument);
  EXPECT_THROW(tok->decode({999999}), std::out_of_range);
}

}  // namespace
}  // namespace wq::tokenizer
