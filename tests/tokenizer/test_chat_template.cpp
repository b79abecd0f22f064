// Chat templates: exact text against Jinja renders of the checkpoints' own templates, and the
// context/query split of the tokenized prompt.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/tokenizer/tokenizer_test_util.h"
#include "vlm/tokenizer/chat_template.h"

namespace wq::tokenizer {
namespace {

using testing::kMissingAssets;
using testing::load_fixture;
using testing::qwen_tokenizer;

const char* kMvbenchSystem =
    "Carefully watch the video and pay attention to the cause and sequence of events, the detail and movement of "
    "objects, and the action and pose of persons. Based on your observations, select the best option that "
    "accurately addresses the question.\n";
const char* kQuestion =
    "Question: What is the person doing?\nOptions:\n(A) cooking\n(B) reading\n(C) running\n(D) sleeping\n"
    "Only give the best option.";

std::vector<ChatMessage> messages_from_json(const nlohmann::json& node) {
  std::vector<ChatMessage> messages;
  for (const nlohmann::json& m : node) {
    ChatMessage message;
    message.role = m.at("role").get<std::string>();
    if (m.at("content").is_string()) {
      message.content_is_string = true;
      message.parts.push_back({PartType::text, m.at("content").get<std::string>()});
    } else {
      for (const nlohmann::json& part : m.at("content")) {
        const std::string type = part.at("type").get<std::string>();
        if (type == "text") message.parts.push_back({PartType::text, part.at("text").get<std::string>()});
        if (type == "image") message.parts.push_back({PartType::image, {}});
        if (type == "video") message.parts.push_back({PartType::video, {}});
      }
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

TEST(ChatTemplate, MatchesJinjaRendersOfTheReleasedTemplates) {
  const nlohmann::json templates = load_fixture("expected_ids.json").at("chat_templates");
  ASSERT_FALSE(templates.is_null()) << "fixture was made without jinja2";
  const nlohmann::json& renders = templates.at("renders");
  ASSERT_EQ(renders.size(), 8u);
  for (const nlohmann::json& r : renders) {
    const ChatFormat format = parse_chat_format(r.at("format").get<std::string>());
    const auto pieces = render_chat(format, messages_from_json(r.at("messages")), r.at("add_generation_prompt"));
    EXPECT_EQ(prompt_text(format, pieces), r.at("text").get<std::string>()) << r.at("messages").dump();
  }
}

TEST(ChatTemplate, Qwen2VlVideoQuestionSnapshot) {
  const auto pieces = render_video_question(ChatFormat::qwen2_vl, {std::nullopt, "What happens?", "Best option:("});
  EXPECT_EQ(prompt_text(ChatFormat::qwen2_vl, pieces),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "<|vision_start|><|video_pad|><|vision_end|>What happens?<|im_end|>\n<|im_start|>assistant\nBest option:(");
}

TEST(ChatTemplate, LlavaOnevisionVideoQuestionSnapshot) {
  const auto pieces = render_video_question(ChatFormat::llava_onevision, {kMvbenchSystem, kQuestion, "Best option:("});
  EXPECT_EQ(prompt_text(ChatFormat::llava_onevision, pieces),
            std::string("<|im_start|>system\n") + kMvbenchSystem + "<|im_end|>\n<|im_start|>user\n<video>\n" + kQuestion +
                "<|im_end|>\n<|im_start|>assistant\nBest option:(");
}

TEST(ChatTemplate, ParseFormatRejectsUnknownNames) {
  EXPECT_EQ(parse_chat_format("llava_onevision"), ChatFormat::llava_onevision);
  EXPECT_STREQ(chat_format_name(ChatFormat::qwen2_vl), "qwen2_vl");
  EXPECT_THROW(parse_chat_format("llava"), std::invalid_argument);
}

TEST(ChatTemplate, Qwen2VlSplitEndsAtTheLastVideoPad) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  const auto pieces = render_video_question(ChatFormat::qwen2_vl, {kMvbenchSystem, kQuestion, "Best option:("});
  VisualExpansion expansion;
  expansion.tokens_per_video = 8 * 4;  // e.g. 16 frames -> 8 temporal patches of 2x2 merged tokens
  const TokenizedPrompt prompt = tokenize_prompt(*tok, ChatFormat::qwen2_vl, pieces, expansion);
  const TokenId video_pad = *tok->token_to_id("<|video_pad|>");
  ASSERT_EQ(prompt.visual_ranges.size(), 1u);
  const auto [begin, end] = prompt.visual_ranges[0];
  EXPECT_EQ(end - begin, 32);
  EXPECT_EQ(static_cast<std::size_t>(end), prompt.context.size());
  EXPECT_EQ(prompt.context[begin - 1], *tok->token_to_id("<|vision_start|>"));
  for (std::int64_t i = begin; i < end; ++i) EXPECT_EQ(prompt.context[i], video_pad);
  EXPECT_EQ(prompt.query.front(), *tok->token_to_id("<|vision_end|>"));
  EXPECT_EQ(tok->decode(prompt.query),
            std::string("<|vision_end|>") + kQuestion + "<|im_end|>\n<|im_start|>assistant\nBest option:(");

  // With one token per placeholder the ids equal the tokenization of the template's text.
  expansion.tokens_per_video = 1;
  const TokenizedPrompt single = tokenize_prompt(*tok, ChatFormat::qwen2_vl, pieces, expansion);
  std::vector<TokenId> joined = single.context;
  joined.insert(joined.end(), single.query.begin(), single.query.end());
  EXPECT_EQ(joined, tok->encode(prompt_text(ChatFormat::qwen2_vl, pieces)));
}

TEST(ChatTemplate, LlavaOnevisionSplitUsesTheGivenVideoTokenId) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  const auto pieces = render_video_question(ChatFormat::llava_onevision, {std::nullopt, kQuestion, "Best option:("});
  VisualExpansion expansion;
  expansion.tokens_per_video = 16 * 196 + 1;  // 16 frames of 14x14 pooled tokens + the newline token
  // The Qwen3 test tokenizer has no <video> token (llava-hf's tokenizer adds it as 151647).
  EXPECT_THROW(tokenize_prompt(*tok, ChatFormat::llava_onevision, pieces, expansion), std::invalid_argument);
  expansion.video_token_id = 151647;
  const TokenizedPrompt prompt = tokenize_prompt(*tok, ChatFormat::llava_onevision, pieces, expansion);
  const std::vector<TokenId> head = tok->encode("<|im_start|>user\n");
  ASSERT_EQ(prompt.context.size(), head.size() + 16 * 196 + 1);
  EXPECT_TRUE(std::equal(head.begin(), head.end(), prompt.context.begin()));
  EXPECT_EQ(prompt.context.back(), 151647);
  EXPECT_EQ(prompt.query, tok->encode(std::string("\n") + kQuestion + "<|im_end|>\n<|im_start|>assistant\nBest option:("));
  EXPECT_EQ(prompt.visual_ranges.at(0).first, static_cast<std::int64_t>(head.size()));
}

TEST(ChatTemplate, TextOnlyPromptIsAllContext) {
  const Tokenizer* tok = qwen_tokenizer();
  if (tok == nullptr) GTEST_SKIP() << kMissingAssets;
  const auto pieces = render_chat(ChatFormat::qwen2_vl, {{"user", {{PartType::text, "hi"}}, false}}, true);
  const TokenizedPrompt prompt = tokenize_prompt(*tok, ChatFormat::qwen2_vl, pieces, {});
  EXPECT_TRUE(prompt.query.empty());
  EXPECT_TRUE(prompt.visual_ranges.empty());
  EXPECT_EQ(prompt.context, tok->encode(prompt_text(ChatFormat::qwen2_vl, pieces)));
}

}  // namespace
}  // namespace wq::tokenizer
