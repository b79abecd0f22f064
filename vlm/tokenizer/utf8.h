// UTF-8 helpers shared by the tokenizer's normalizer, added-token matcher and decoder.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wq::tokenizer {

// Throws std::invalid_argument naming the byte offset when `text` is not valid UTF-8
// (HF tokenizers take Rust &str, so invalid input cannot reach them either).
void check_utf8(std::string_view text);

// Decodes valid UTF-8 (check_utf8 first) into code points.
std::u32string utf8_to_u32(std::string_view text);

void append_utf8(std::string& out, char32_t cp);
std::string u32_to_utf8(const std::u32string& cps);

// Decodes the code point at `pos` of valid UTF-8 and advances `pos` past it.
char32_t next_code_point(std::string_view text, std::size_t& pos);

// Bytes to text the way Rust's String::from_utf8_lossy does: each maximal ill-formed
// subsequence becomes one U+FFFD (the HF ByteLevel decoder relies on this).
std::string utf8_lossy(std::string_view bytes);

// Unicode White_Space property (Rust char::is_whitespace), used by lstrip/rstrip.
bool is_unicode_whitespace(char32_t cp);

}  // namespace wq::tokenizer
