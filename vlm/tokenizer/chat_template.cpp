#include "vlm/tokenizer/chat_template.h"

#include <stdexcept>

namespace wq::tokenizer {
namespace {

// Appends text to the prompt, merging with a preceding text piece.
void emit(std::vector<PromptPiece>& out, const std::string& text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().type == PartType::text) {
    out.back().text += text;
  } else {
    out.push_back({PartType::text, text});
  }
}

void emit_visual(std::vector<PromptPiece>& out, PartType type) { out.push_back({type, {}}); }

void render_qwen2_vl(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                     std::vector<PromptPiece>& out) {
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage& message = messages[i];
    if (i == 0 && message.role != "system") emit(out, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n");
    emit(out, "<|im_start|>" + message.role + "\n");
    if (message.content_is_string) {
      emit(out, (message.parts.empty() ? std::string() : message.parts.front().text) + "<|im_end|>\n");
      continue;
    }
    for (const ContentPart& part : message.parts) {
      if (part.type == PartType::text) {
        emit(out, part.text);
      } else {
        emit(out, "<|vision_start|>");
        emit_visual(out, part.type);
        emit(out, "<|vision_end|>");
      }
    }
    emit(out, "<|im_end|>\n");
  }
  if (add_generation_prompt) emit(out, "<|im_start|>assistant\n");
}

void render_llava_onevision(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                            std::vector<PromptPiece>& out) {
  for (const ChatMessage& message : messages) {
    emit(out, "<|im_start|>" + message.role + "\n");
    for (PartType visual : {PartType::image, PartType::video}) {
      for (const ContentPart& part : message.parts) {
        if (part.type != visual) continue;
        emit_visual(out, visual);
        emit(out, "\n");
      }
    }
    for (const ContentPart& part : message.parts) {
      if (part.type == PartType::text) emit(out, part.text);
    }
    emit(out, "<|im_end|>\n");
  }
  if (add_generation_prompt) emit(out, "<|im_start|>assistant\n");
}

const char* placeholder(ChatFormat format, PartType type) {
  if (format == ChatFormat::qwen2_vl) return type == PartType::video ? "<|video_pad|>" : "<|image_pad|>";
  return type == PartType::video ? "<video>" : "<image>";
}

}  // namespace

const char* chat_format_name(ChatFormat format) {
  return format == ChatFormat::qwen2_vl ? "qwen2_vl" : "llava_onevision";
}

ChatFormat parse_chat_format(const std::string& name) {
  if (name == "qwen2_vl") return ChatFormat::qwen2_vl;
  if (name == "llava_onevision") return ChatFormat::llava_onevision;
  throw std::invalid_argument("unknown chat format '" + name + "' (choices: qwen2_vl, llava_onevision)");
}

std::vector<PromptPiece> render_chat(ChatFormat format, const std::vector<ChatMessage>& messages,
                                     bool add_generation_prompt) {
  std::vector<PromptPiece> out;
  if (format == ChatFormat::qwen2_vl) {
    render_qwen2_vl(messages, add_generation_prompt, out);
  } else {
    render_llava_onevision(messages, add_generation_prompt, out);
  }
  return out;
}

std::string prompt_text(ChatFormat format, const std::vector<PromptPiece>& pieces) {
  std::string text;
  for (const PromptPiece& piece : pieces) text += piece.type == PartType::text ? piece.text : placeholder(format, piece.type);
  return text;
}

TokenizedPrompt tokenize_prompt(const Tokenizer& tokenizer, ChatFormat format, const std::vector<PromptPiece>& pieces,
                                const VisualExpansion& expansion) {
  const auto resolve = [&](PartType type) -> TokenId {
    const std::optional<TokenId>& given = type == PartType::video ? expansion.video_token_id : expansion.image_token_id;
    if (given) return *given;
    const std::optional<TokenId> found = tokenizer.token_to_id(placeholder(format, type));
    if (!found) {
      throw std::invalid_argument(std::string("tokenizer has no ") + placeholder(format, type) +
                                  " token; pass its id (the model config's video/image token index)");
    }
    return *found;
  };
  std::vector<TokenId> ids;
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (const PromptPiece& piece : pieces) {
    if (piece.type == PartType::text) {
      const std::vector<TokenId> text_ids = tokenizer.encode(piece.text);
      ids.insert(ids.end(), text_ids.begin(), text_ids.end());
      continue;
    }
    const std::int64_t count = piece.type == PartType::video ? expansion.tokens_per_video : expansion.tokens_per_image;
    if (count < 1) throw std::invalid_argument("tokenize_prompt: a placeholder must expand to at least one token");
    const auto begin = static_cast<std::int64_t>(ids.size());
    ids.insert(ids.end(), static_cast<std::size_t>(count), resolve(piece.type));
    ranges.emplace_back(begin, begin + count);
  }
  TokenizedPrompt out;
  const std::size_t split = ranges.empty() ? ids.size() : static_cast<std::size_t>(ranges.back().second);
  out.context.assign(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(split));
  out.query.assign(ids.begin() + static_cast<std::ptrdiff_t>(split), ids.end());
  out.visual_ranges = std::move(ranges);
  return out;
}

std::vector<PromptPiece> render_video_question(ChatFormat format, const VideoQuestion& question) {
  std::vector<ChatMessage> messages;
  if (question.system) messages.push_back({"system", {{PartType::text, *question.system}}, false});
  messages.push_back({"user", {{PartType::video, {}}, {PartType::text, question.question}}, false});
  std::vector<PromptPiece> pieces = render_chat(format, messages, /*add_generation_prompt=*/true);
  emit(pieces, question.answer_prefix);
  return pieces;
}

}  // namespace wq::tokenizer
