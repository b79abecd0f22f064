// Pack/unpack: bit-exact round trip for every width, the documented bit positions, base-3.
#include <gtest/gtest.h>

#include <random>

#include "core/quant/packing.h"
#include "core/quant/quant_format.h"

namespace wq::quant {
namespace {

TEST(Packing, RoundTripEveryWidthOddCounts) {
  std::mt19937 rng(7);
  for (int bits : {1, 2, 3, 4, 8, 16}) {
    for (size_t count : {size_t{1}, size_t{19}, size_t{33}, size_t{989}}) {
      std::vector<uint32_t> codes(count);
      for (auto& c : codes) c = rng() & ((1u << bits) - 1u);
      const auto words = pack_codes(codes, bits);
      ASSERT_EQ(words.size(), (count + 32 / bits - 1) / (32 / bits));
      EXPECT_EQ(unpack_codes(words, count, bits), codes) << bits << " bits, " << count;
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(unpack_code(words.data(), i, bits), codes[i]);
    }
  }
}

TEST(Packing, DocumentedBitPositions) {
  // 2-bit codes 0,1,2,3 -> word 0b11100100 (code i at bits [2i, 2i+2)).
  EXPECT_EQ(pack_codes(std::vector<uint32_t>{0, 1, 2, 3}, 2)[0], 0xe4u);
  // 3-bit: 10 codes of 7 fill bits 0..29, top two bits stay zero.
  const auto w3 = pack_codes(std::vector<uint32_t>(10, 7u), 3);
  ASSERT_EQ(w3.size(), 1u);
  EXPECT_EQ(w3[0], 0x3fffffffu);
  // 11 codes need two words; unused slots of the last word are zero.
  const auto w3b = pack_codes(std::vector<uint32_t>(11, 7u), 3);
  ASSERT_EQ(w3b.size(), 2u);
  EXPECT_EQ(w3b[1], 7u);
  // 4-bit: code i in nibble i.
  EXPECT_EQ(pack_codes(std::vector<uint32_t>{1, 2, 3, 4, 5, 6, 7, 8}, 4)[0], 0x87654321u);
  // 1-bit: LSB first.
  EXPECT_EQ(pack_codes(std::vector<uint32_t>{1, 0, 1}, 1)[0], 0x5u);
}

TEST(Packing, RejectsOversizedCodeAndBadWidth) {
  EXPECT_THROW(pack_codes(std::vector<uint32_t>{4}, 2), std::invalid_argument);
  EXPECT_THROW(pack_codes(std::vector<uint32_t>{0}, 5), std::invalid_argument);
}

TEST(Packing, Base3RoundTripAndPlaceValues) {
  std::mt19937 rng(11);
  for (size_t count : {size_t{1}, size_t{19}, size_t{20}, size_t{21}, size_t{989}}) {
    std::vector<uint32_t> trits(count);
    for (auto& t : trits) t = rng() % 3u;
    std::vector<uint32_t> words((count + kTritsPerWord - 1) / kTritsPerWord);
    pack_base3(trits.data(), count, words.data());
    std::vector<uint32_t> back(count);
    unpack_base3(words.data(), count, back.data());
    EXPECT_EQ(back, trits) << count;
  }
  // All-2 word = 3^20 - 1, the largest value, still below 2^32.
  std::vector<uint32_t> twos(20, 2u), w(1);
  pack_base3(twos.data(), 20, w.data());
  EXPECT_EQ(w[0], 3486784400u);
  std::vector<uint32_t> one_at_3(4, 0u);
  one_at_3[3] = 1;
  pack_base3(one_at_3.data(), 4, w.data());
  EXPECT_EQ(w[0], 27u);
}

TEST(Formats, TableColumnsAgree) {
  for (const FormatInfo& f : kFormats) {
    EXPECT_EQ(f.codes_per_word, 32 / f.storage_bits) << f.name;
    EXPECT_EQ(parse_quant_bits(f.name), f.bits);
  }
  EXPECT_EQ(parse_quant_bits("ternary"), QuantBits::b1_58);
  EXPECT_THROW(parse_quant_bits("5"), std::invalid_argument);
}

}  // namespace
}  // namespace wq::quant
