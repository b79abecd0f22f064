#include "vlm/tokenizer/nfc.h"

#include <algorithm>
#include <cstdint>

#include "vlm/tokenizer/utf8.h"

namespace wq::tokenizer {
namespace {

struct CccRange {
  char32_t first, last;
  std::uint8_t ccc;
};
struct Decomposition {
  char32_t cp, first, second;  // second == 0: singleton decomposition
};
struct Composite {
  char32_t first, second, cp;
};

#include "vlm/tokenizer/nfc_tables.inc"

// Hangul syllables compose and decompose arithmetically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

std::uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  auto it = std::upper_bound(std::begin(kCccRanges), std::end(kCccRanges), cp,
                             [](char32_t c, const CccRange& r) { return c < r.first; });
  if (it == std::begin(kCccRanges)) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

const Decomposition* find_decomposition(char32_t cp) {
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const Decomposition& d, char32_t c) { return d.cp < c; });
  return (it != std::end(kDecompositions) && it->cp == cp) ? it : nullptr;
}

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  const Decomposition* d = cp >= 0xC0 ? find_decomposition(cp) : nullptr;
  if (d == nullptr) {
    out.push_back(cp);
    return;
  }
  decompose(d->first, out);  // full decomposition: the parts may decompose further
  if (d->second != 0) decompose(d->second, out);
}

// Returns the primary composite of (first, second), or 0 when there is none.
char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= kLBase && first < kLBase + kLCount && second >= kVBase && second < kVBase + kVCount) {
    return kSBase + ((first - kLBase) * kVCount + (second - kVBase)) * kTCount;
  }
  if (first >= kSBase && first < kSBase + kSCount && (first - kSBase) % kTCount == 0 &&
      second > kTBase && second < kTBase + kTCount) {
    return first + (second - kTBase);
  }
  auto it = std::lower_bound(std::begin(kComposites), std::end(kComposites), std::make_pair(first, second),
                             [](const Composite& c, const std::pair<char32_t, char32_t>& key) {
                               return c.first != key.first ? c.first < key.first : c.second < key.second;
                             });
  if (it != std::end(kComposites) && it->first == first && it->second == second) return it->cp;
  return 0;
}

}  // namespace

const char* nfc_unicode_version() { return WQ_NFC_UNICODE_VERSION; }

std::string nfc(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(text);
  }
  // 1. Full canonical decomposition.
  std::u32string buf;
  buf.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) decompose(next_code_point(text, pos), buf);

  // 2. Canonical ordering: stable insertion sort of each run of non-starters by class.
  for (std::size_t i = 1; i < buf.size(); ++i) {
    const std::uint8_t cc = combining_class(buf[i]);
    if (cc == 0) continue;
    std::size_t j = i;
    while (j > 0 && combining_class(buf[j - 1]) > cc) {
      std::swap(buf[j - 1], buf[j]);
      --j;
    }
  }

  // 3. Canonical composition: a character joins the last starter unless a character
  // between them is blocking (same or higher class, or a starter).
  if (buf.empty()) return std::string();
  std::size_t starter = 0;
  int last_class = combining_class(buf[0]) == 0 ? 0 : 256;  // leading non-starter blocks
  std::size_t write = 1;
  for (std::size_t read = 1; read < buf.size(); ++read) {
    const char32_t ch = buf[read];
    const int cc = combining_class(ch);
    const bool unblocked = last_class == 0 ? write == starter + 1 : last_class < cc;
    if (unblocked && (last_class != 256)) {
      const char32_t composite = compose_pair(buf[starter], ch);
      if (composite != 0) {
        buf[starter] = composite;
        continue;
      }
    }
    if (cc == 0) {
      starter = write;
      last_class = 0;
    } else {
      last_class = cc;
    }
    buf[write++] = ch;
  }
  buf.resize(write);
  return u32_to_utf8(buf);
}

}  // namespace wq::tokenizer
