// Byte accounting of a compressed cache and THE function for nominal and effective bits
// (methods.md: effective = (code bits + scale/zero bits + side storage + fp tokens) / elements,
// over the visual part of the cache). docs/effective-bits.md has the formula and examples.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cache/kv_cache.h"

namespace wq::cache {

struct KvBits {
  BitCounts counts;  // summed over the counted tokens, K and V, all layers and heads

  double elements() const { return counts.elements; }
  // Σ width × elements / elements: the bit-widths alone (1.58 for ternary, FFT doubling and
  // metadata excluded; full-precision tokens count as 16).
  double nominal() const;
  // (code + scale + min + side + fp bits) / elements.
  double effective() const;
};

// Bits of the visual part of a cache. is_visual: [context tokens] by ORIGINAL position
// (1 = visual); empty = every context token counts. Tail tokens never count (they are the
// query/decode tokens). A segment is charged per token in proportion to how many of its
// tokens are visual (exact when a segment is all-visual, the normal case); a layer's
// side_bits_per_head (and its key factors, key_scale_bits_per_head) is charged in full
// whenever any visual token is counted.
KvBits kv_bits(const KvCache& cache, const std::vector<uint8_t>& is_visual = {});
KvBits kv_bits(const LayerCache& layer, const std::vector<uint8_t>& is_visual = {});

// Whole-cache storage in bytes (context of every token kind plus tail, K and V).
struct CacheBytes {
  double stored = 0;  // packed codes + scales + mins + side + fp parts at 2 bytes/element
  double fp16 = 0;    // the same tokens kept entirely in fp16
};
CacheBytes cache_bytes(const KvCache& cache);
CacheBytes cache_bytes(const LayerCache& layer);

}  // namespace wq::cache
