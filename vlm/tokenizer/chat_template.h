// Chat templates of the video LLM families, written as code (no Jinja), and the split of a
// prompt's ids into context (through the last visual token) and query (protocol.md step 2).
//
// Sources, reproduced character for character (tests/tokenizer/test_chat_template.cpp
// compares with Jinja renders in tests/data/tokenizer/expected_ids.json):
//  - qwen2_vl: Qwen/Qwen2-VL-7B-Instruct chat_template.json (Qwen2.5-VL uses the same).
//    Inserts "You are a helpful assistant." when the first message is not a system one;
//    parts render in order; a video is <|vision_start|><|video_pad|><|vision_end|>.
//  - llava_onevision: llava-hf/llava-onevision-qwen2-*-ov-hf (transformers'
//    convert_llava_onevision_weights_to_hf.py). No default system message; per message,
//    every image ("<image>\n") first, then every video ("<video>\n"), then the texts, in
//    that order whatever the parts' order (a quirk of the template, kept).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vlm/tokenizer/tokenizer.h"

namespace wq::tokenizer {

enum class ChatFormat { qwen2_vl, llava_onevision };

// "qwen2_vl" / "llava_onevision"; parse throws std::invalid_argument listing the choices.
const char* chat_format_name(ChatFormat format);
ChatFormat parse_chat_format(const std::string& name);

enum class PartType { text, image, video };

struct ContentPart {
  PartType type = PartType::text;
  std::string text;  // PartType::text only
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::vector<ContentPart> parts;
  // Qwen2-VL's template has a branch for plain-string content (then `parts` holds one
  // text part); LLaVA-OneVision's template needs a parts list and treats both alike.
  bool content_is_string = false;
};

// A rendered prompt: literal text (which may contain special tokens such as
// <|im_start|>) and visual placeholders, in order.
struct PromptPiece {
  PartType type = PartType::text;
  std::string text;  // PartType::text only
};

std::vector<PromptPiece> render_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                                     bool add_generation_prompt);

// The prompt as the Jinja template writes it, one placeholder per image or video
// (qwen2_vl: <|image_pad|> / <|video_pad|> inside vision_start/end; llava: <image>/<video>).
std::string prompt_text(ChatFormat format, const std::vector<PromptPiece>& pieces);

// How the processor expands each placeholder, and the ids it expands to.
struct VisualExpansion {
  std::int64_t tokens_per_video = 1;  // llava_onevision: frames * 196 + 1; qwen2_vl: t*h*w / 4
  std::int64_t tokens_per_image = 1;
  std::optional<TokenId> video_token_id;  // default: the tokenizer's <|video_pad|> / <video>
  std::optional<TokenId> image_token_id;  // default: the tokenizer's <|image_pad|> / <image>
};

struct TokenizedPrompt {
  std::vector<TokenId> context;  // through the last visual token (all text if there is none)
  std::vector<TokenId> query;    // the rest
  // [begin, end) index ranges of the visual tokens in `context`, one per placeholder.
  std::vector<std::pair<std::int64_t, std::int64_t>> visual_ranges;
};

// Tokenizes `pieces` with `expansion`; the ids equal HF's tokenization of the processor's
// expanded text (text runs between placeholders are encoded as whole strings, and the
// placeholders are special tokens, so no BPE merge crosses them). Throws
// std::invalid_argument when a placeholder token id cannot be resolved.
TokenizedPrompt tokenize_prompt(const Tokenizer& tokenizer, ChatFormat format, const std::vector<PromptPiece>& pieces,
                                const VisualExpansion& expansion);

// The common case of the benchmarks: optional system prompt, one user turn holding the
// video then the question, the generation prompt, then `answer_prefix` (MVBench primes the
// answer with "Best option:(", no space) appended to the assistant turn.
struct VideoQuestion {
  std::optional<std::string> system;  // nullopt: the format's default (see above)
  std::string question;
  std::string answer_prefix;
};

std::vector<PromptPiece> render_video_question(ChatFormat format, const VideoQuestion& question);

}  // namespace wq::tokenizer
