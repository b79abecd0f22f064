// Unit tests that need no downloaded assets: a tiny hand-made tokenizer.json, the byte-level
// alphabet, NFC and lossy UTF-8 decoding.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "vlm/tokenizer/byte_level.h"
#include "vlm/tokenizer/nfc.h"
#include "vlm/tokenizer/tokenizer.h"
#include "vlm/tokenizer/utf8.h"

namespace wq::tokenizer {
namespace {

// Vocabulary: the 256 byte tokens (ids 0..255 in byte order), then merged tokens. Merges are
// given in the legacy "a b" string form or the pair form according to `pair_form`.
nlohmann::json tiny_tokenizer_json(bool pair_form) {
  ByteLevelAlphabet alphabet;
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[alphabet.encode(std::string(1, static_cast<char>(b)))] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"l", "o"}, {"lo", "w"}, {"e", "r"}, {"Ġ", "low"}, {"low", "er"}, {"Ġlow", "er"}, {"a", "a"}, {"aa", "a"}};
  nlohmann::json merge_list = nlohmann::json::array();
  int next_id = 256;
  for (const auto& [left, right] : merges) {
    vocab[left + right] = next_id++;
    merge_list.push_back(pair_form ? nlohmann::json::array({left, right}) : nlohmann::json(left + " " + right));
  }
  nlohmann::json root;
  root["model"] = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}, {"dropout", nullptr}};
  root["normalizer"] = {{"type", "NFC"}};
  root["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  root["decoder"] = {{"type", "ByteLevel"}};
  root["added_tokens"] = nlohmann::json::array(
      {{{"id", 300}, {"content", "<s>"}, {"special", true}, {"lstrip", false}, {"rstrip", false},
        {"normalized", false}, {"single_word", false}},
       {{"id", 301}, {"content", "<L>"}, {"special", true}, {"lstrip", true}, {"rstrip", true},
        {"normalized", false}, {"single_word", false}},
       {{"id", 302}, {"content", "cat"}, {"special", false}, {"lstrip", false}, {"rstrip", false},
        {"normalized", true}, {"single_word", true}},
       {{"id", 303}, {"content", "<s><s>"}, {"special", false}, {"lstrip", false}, {"rstrip", false},
        {"normalized", false}, {"single_word", false}}});
  return root;
}

TEST(TinyTokenizer, MergesFollowRankOrderInBothMergeForms) {
  for (bool pair_form : {false, true}) {
    const Tokenizer tok = Tokenizer::from_json_text(tiny_tokenizer_json(pair_form).dump());
    // " lower": Ġ l o w e r -> (l,o) rank 0, (lo,w) 1, (e,r) 2, (Ġ,low) 3, (Ġlow,er) 5.
    EXPECT_EQ(tok.encode(" lower"), std::vector<TokenId>{261}) << pair_form;
    EXPECT_EQ(tok.encode("lower"), std::vector<TokenId>{260});  // (low,er) rank 4
    // "aaaa": (a,a) merges leftmost first -> aa aa; (aa,a) never applies.
    EXPECT_EQ(tok.encode("aaaa"), (std::vector<TokenId>{262, 262}));
    EXPECT_EQ(tok.encode("aaa"), std::vector<TokenId>{263});
    EXPECT_EQ(tok.decode(tok.encode(" lower aaa!")), " lower aaa!");
  }
}

TEST(TinyTokenizer, AddedTokensAreLeftmostLongestAndStrip) {
  const Tokenizer tok = Tokenizer::from_json_text(tiny_tokenizer_json(true).dump());
  EXPECT_EQ(tok.encode("<s><s><s>"), (std::vector<TokenId>{303, 300}));  // longest first
  // <L> swallows the spaces on both sides (lstrip/rstrip).
  EXPECT_EQ(tok.encode("a  <L>  a"), (std::vector<TokenId>{'a', 301, 'a'}));
  // single_word: "cat" alone or between spaces, never inside "cats".
  EXPECT_EQ(tok.encode("cat"), std::vector<TokenId>{302});
  EXPECT_EQ(tok.encode("cats").size(), 4u);
  EXPECT_EQ(tok.decode({300, 'x', 303}), "<s>x<s><s>");
  EXPECT_EQ(tok.decode({300, 'x', 303}, /*skip_special_tokens=*/true), "x<s><s>");
}

TEST(TinyTokenizer, NormalizerRunsBeforeBpe) {
  const Tokenizer tok = Tokenizer::from_json_text(tiny_tokenizer_json(true).dump());
  // "e" + U+0301 is NFC-composed to U+00E9 (2 bytes -> 2 byte tokens).
  EXPECT_EQ(tok.encode("e\xCC\x81"), (std::vector<TokenId>{0xC3, 0xA9}));
}

TEST(TinyTokenizer, UnsupportedComponentsAreRejectedByName) {
  nlohmann::json root = tiny_tokenizer_json(true);
  root["normalizer"] = {{"type", "Lowercase"}};
  try {
    Tokenizer::from_json_text(root.dump());
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("normalizer"), std::string::npos) << e.what();
  }
  root = tiny_tokenizer_json(true);
  root["model"]["merges"].push_back(nlohmann::json::array({"q", "zz"}));
  EXPECT_THROW(Tokenizer::from_json_text(root.dump()), std::invalid_argument);
}

TEST(ByteLevel, AlphabetIsGpt2BytesToUnicode) {
  ByteLevelAlphabet alphabet;
  EXPECT_EQ(alphabet.char_of(' '), U'\u0120');   // Ġ
  EXPECT_EQ(alphabet.char_of('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(alphabet.char_of('A'), U'A');
  EXPECT_EQ(alphabet.char_of(0xAD), U'\u0143');  // the last shifted byte
  EXPECT_EQ(alphabet.char_of(0x00), U'\u0100');
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string back;
  ASSERT_TRUE(alphabet.decode(alphabet.encode(all), back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(alphabet.decode("a b", back));  // ' ' is not in the alphabet
}

TEST(Nfc, ComposesReordersAndMapsSingletons) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                       // e + acute -> é
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                    // Angstrom sign -> Å
  EXPECT_EQ(nfc("a\xCC\x82\xCC\xA3"), "\xE1\xBA\xAD");           // a + circumflex + dot below -> ậ
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // jamo -> 각
  EXPECT_EQ(nfc("\xEF\xA4\x80"), "\xE8\xB1\x88");                // CJK compatibility U+F900
  EXPECT_EQ(nfc("\xE0\xA5\x98"), "\xE0\xA4\x95\xE0\xA4\xBC");    // U+0958 is excluded from composition
  EXPECT_EQ(nfc("\xCC\x81" "a"), "\xCC\x81" "a");                // leading mark stays
  EXPECT_EQ(nfc("plain ascii"), "plain ascii");
  EXPECT_EQ(nfc(""), "");
}

TEST(Utf8, LossyDecodingReplacesMaximalSubparts) {
  EXPECT_EQ(utf8_lossy("ok"), "ok");
  EXPECT_EQ(utf8_lossy("\xE4\xBD"), "\xEF\xBF\xBD");               // truncated 3-byte sequence
  EXPECT_EQ(utf8_lossy("\xFF" "a"), "\xEF\xBF\xBD" "a");
  EXPECT_EQ(utf8_lossy("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate: 3 x U+FFFD
  EXPECT_THROW(check_utf8("\xC0\xAF"), std::invalid_argument);     // overlong
  EXPECT_NO_THROW(check_utf8("\xF0\x9F\x98\x80"));
}

}  // namespace
}  // namespace wq::tokenizer
