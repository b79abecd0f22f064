// Bit packing per docs/packing.md: LSB-first slots in little-endian uint32 words.
#include "core/quant/packing.h"

#include <stdexcept>
#include <string>

#include "core/quant/quant_format.h"

namespace wq::quant {

namespace {

int codes_per_word_for_bits(int bits) {
  if (bits != 1 && bits != 2 && bits != 3 && bits != 4 && bits != 8 && bits != 16) {
    throw std::invalid_argument("pack_codes: unsupported code width " + std::to_string(bits) +
                                " (expected 1, 2, 3, 4, 8 or 16)");
  }
  return 32 / bits;
}

// Place values 3^i of a base-3 word, i = 0..19.
struct Pow3Table {
  uint32_t value[kTritsPerWord];
  constexpr Pow3Table() : value() {
    uint32_t p = 1;
    for (int i = 0; i < kTritsPerWord; ++i) {
      value[i] = p;
      p *= 3u;
    }
  }
};
constexpr Pow3Table kPow3;

}  // namespace

void pack_codes(const uint32_t* codes, size_t count, int bits, uint32_t* words) {
  const int c = codes_per_word_for_bits(bits);
  const uint32_t mask = (1u << bits) - 1u;  // bits <= 16
  const size_t n_words = words_for(count, c);
  for (size_t w = 0; w < n_words; ++w) words[w] = 0;
  for (size_t i = 0; i < count; ++i) {
    if (codes[i] > mask) {
      throw std::invalid_argument("pack_codes: code " + std::to_string(codes[i]) + " at index " +
                                  std::to_string(i) + " does not fit in " +
                                  std::to_string(bits) + " bits");
    }
    words[i / c] |= codes[i] << (bits * static_cast<int>(i % c));
  }
}

uint32_t unpack_code(const uint32_t* words, size_t index, int bits) {
  const int c = 32 / bits;
  const uint32_t mask = (1u << bits) - 1u;
  return (words[index / c] >> (bits * static_cast<int>(index % c))) & mask;
}

void unpack_codes(const uint32_t* words, size_t count, int bits, uint32_t* codes) {
  codes_per_word_for_bits(bits);
  for (size_t i = 0; i < count; ++i) codes[i] = unpack_code(words, i, bits);
}

void pack_base3(const uint32_t* trits, size_t count, uint32_t* words) {
  const size_t n_words = words_for(count, kTritsPerWord);
  for (size_t w = 0; w < n_words; ++w) words[w] = 0;
  for (size_t i = 0; i < count; ++i) {
    if (trits[i] > 2u) {
      throw std::invalid_argument("pack_base3: trit " + std::to_string(trits[i]) +
                                  " at index " + std::to_string(i) + " is not 0, 1 or 2");
    }
    // Σ u_i 3^i <= 3^20 - 1 < 2^32: no overflow.
    words[i / kTritsPerWord] += trits[i] * kPow3.value[i % kTritsPerWord];
  }
}

uint32_t unpack_trit(const uint32_t* words, size_t index) {
  return (words[index / kTritsPerWord] / kPow3.value[index % kTritsPerWord]) % 3u;
}

void unpack_base3(const uint32_t* words, size_t count, uint32_t* trits) {
  for (size_t i = 0; i < count; ++i) trits[i] = unpack_trit(words, i);
}

std::vector<uint32_t> pack_codes(const std::vector<uint32_t>& codes, int bits) {
  std::vector<uint32_t> words(words_for(codes.size(), codes_per_word_for_bits(bits)));
  pack_codes(codes.data(), codes.size(), bits, words.data());
  return words;
}

std::vector<uint32_t> unpack_codes(const std::vector<uint32_t>& words, size_t count, int bits) {
  const int c = codes_per_word_for_bits(bits);
  if (words.size() < words_for(count, c)) {
    throw std::invalid_argument("unpack_codes: " + std::to_string(words.size()) +
                                " words cannot hold " + std::to_string(count) + " codes of " +
                                std::to_string(bits) + " bits");
  }
  std::vector<uint32_t> codes(count);
  unpack_codes(words.data(), count, bits, codes.data());
  return codes;
}

}  // namespace wq::quant
