// Bit packing of codes into little-endian uint32 words, exactly per docs/packing.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wq::quant {

// Words needed for `count` codes at `codes_per_word` per word: ceil(count / codes_per_word).
inline size_t words_for(size_t count, int codes_per_word) {
  return (count + static_cast<size_t>(codes_per_word) - 1) / static_cast<size_t>(codes_per_word);
}

// Packs codes[0..count) of width `bits` (1, 2, 3, 4, 8, 16) into words[0..words_for(count,
// 32/bits)): code i goes to word i / c at bit offset bits·(i % c), LSB first; unused slots
// and the top bits of 3-bit words are zero. Every code must be < 2^bits (checked: throws).
void pack_codes(const uint32_t* codes, size_t count, int bits, uint32_t* words);
// Inverse of pack_codes: codes[0..count) from words.
void unpack_codes(const uint32_t* words, size_t count, int bits, uint32_t* codes);
// Code i alone (what a kernel reads): bits [bits·(i % c), +bits) of word i / c.
uint32_t unpack_code(const uint32_t* words, size_t index, int bits);

// Base-3 ternary: 20 trits per word, word = Σ u_i · 3^i with u_i ∈ {0, 1, 2} (= t + 1).
// Unused trits of the last word are 0 (so a partial word is the plain sum).
void pack_base3(const uint32_t* trits, size_t count, uint32_t* words);
void unpack_base3(const uint32_t* words, size_t count, uint32_t* trits);
uint32_t unpack_trit(const uint32_t* words, size_t index);

// Vector conveniences over the above.
std::vector<uint32_t> pack_codes(const std::vector<uint32_t>& codes, int bits);
std::vector<uint32_t> unpack_codes(const std::vector<uint32_t>& words, size_t count, int bits);

}  // namespace wq::quant
