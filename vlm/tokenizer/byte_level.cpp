#include "vlm/tokenizer/byte_level.h"

#include "vlm/tokenizer/utf8.h"

namespace wq::tokenizer {

ByteLevelAlphabet::ByteLevelAlphabet() {
  const auto printable = [](int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; };
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    if (printable(b)) {
      byte_to_char_[b] = static_cast<char32_t>(b);
    } else {
      shifted_to_byte_[next - 0x100] = static_cast<std::uint8_t>(b);
      byte_to_char_[b] = next++;
    }
    append_utf8(byte_spelling_[b], byte_to_char_[b]);
  }
}

std::string ByteLevelAlphabet::encode(std::string_view bytes) const {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += byte_spelling_[static_cast<std::uint8_t>(c)];
  return out;
}

bool ByteLevelAlphabet::decode(std::string_view token, std::string& bytes) const {
  std::string out;
  out.reserve(token.size());
  std::size_t pos = 0;
  while (pos < token.size()) {
    const char32_t cp = next_code_point(token, pos);
    // Inverse of the constructor's map: 0x21..0x7E, 0xA1..0xAC, 0xAE..0xFF are themselves;
    // U+0100..U+0143 are the remaining bytes in increasing order.
    if ((cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE && cp <= 0xFF)) {
      out.push_back(static_cast<char>(cp));
    } else if (cp >= 0x100 && cp < 0x100 + 68) {
      out.push_back(static_cast<char>(shifted_to_byte_[cp - 0x100]));
    } else {
      return false;
    }
  }
  bytes += out;
  return true;
}

}  // namespace wq::tokenizer
