// GPT-2's byte-level alphabet (bytes_to_unicode): every byte maps to one printable code
// point so that BPE vocabularies are plain strings. Printable Latin-1 bytes map to
// themselves; the other 68 bytes map to U+0100.. in byte order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace wq::tokenizer {

class ByteLevelAlphabet {
 public:
  ByteLevelAlphabet();

  // The code point that stands for `byte` in vocabulary strings.
  char32_t char_of(std::uint8_t byte) const { return byte_to_char_[byte]; }

  // Raw bytes to their byte-level spelling (UTF-8), e.g. " hi" -> "Ġhi".
  std::string encode(std::string_view bytes) const;

  // A vocabulary string back to bytes. Returns false when some code point is not in the
  // alphabet (HF's ByteLevel decoder then keeps the token's own UTF-8 bytes).
  bool decode(std::string_view token, std::string& bytes) const;

 private:
  std::array<char32_t, 256> byte_to_char_{};
  std::array<std::string, 256> byte_spelling_{};  // UTF-8 of byte_to_char_
  std::array<std::uint8_t, 68> shifted_to_byte_{};  // U+0100 + i -> byte
};

}  // namespace wq::tokenizer
