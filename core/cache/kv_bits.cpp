// THE nominal/effective bits function (docs/effective-bits.md) and whole-cache bytes.
#include "core/cache/kv_bits.h"

#include <stdexcept>
#include <string>

namespace wq::cache {

double KvBits::nominal() const { return counts.elements > 0 ? counts.nominal / counts.elements : 0.0; }
double KvBits::effective() const {
  return counts.elements > 0 ? counts.total_bits() / counts.elements : 0.0;
}

KvBits kv_bits(const LayerCache& layer, const std::vector<uint8_t>& is_visual) {
  KvBits out;
  bool any_visual = false;
  for (const HeadCache& head : layer.heads) {
    for (const Segment& s : head.segments) {
      int visual = s.size();
      if (!is_visual.empty()) {
        visual = 0;
        for (int i = s.begin; i < s.end; ++i) {
          const int32_t pos = head.positions[i];
          if (pos < 0 || static_cast<size_t>(pos) >= is_visual.size()) {
            throw std::invalid_argument("kv_bits: is_visual has " + std::to_string(is_visual.size()) +
                                        " entries but the cache holds position " + std::to_string(pos));
          }
          visual += is_visual[pos] ? 1 : 0;
        }
      }
      if (visual == 0) continue;
      any_visual = true;
      // Per-token share; exact for an all-visual segment.
      const double share = static_cast<double>(visual) / s.size();
      BitCounts both = s.key.bits;
      both += s.value.bits;
      out.counts += both.scaled(share);
    }
  }
  if (any_visual) out.counts.side_bits += (layer.side_bits_per_head + layer.key_scale_bits_per_head()) * layer.kv_heads();
  return out;
}

KvBits kv_bits(const KvCache& cache, const std::vector<uint8_t>& is_visual) {
  KvBits out;
  for (const LayerCache& layer : cache.layers) out.counts += kv_bits(layer, is_visual).counts;
  return out;
}

CacheBytes cache_bytes(const LayerCache& layer) {
  CacheBytes out;
  for (const HeadCache& head : layer.heads) {
    for (const Segment& s : head.segments) {
      out.stored += (s.key.bits.total_bits() + s.value.bits.total_bits()) / 8.0;
    }
    // Tail tokens are fp16 in a deployment: 2 bytes per element.
    out.stored += 2.0 * (head.tail_k.size() + head.tail_v.size());
    out.stored += (layer.side_bits_per_head + layer.key_scale_bits_per_head()) / 8.0;
    const double tokens = head.context_tokens() + head.tail_tokens();
    out.fp16 += 2.0 * 2.0 * tokens * layer.head_dim;  // K and V, 2 bytes each
  }
  return out;
}

CacheBytes cache_bytes(const KvCache& cache) {
  CacheBytes out;
  for (const LayerCache& layer : cache.layers) {
    const CacheBytes b = cache_bytes(layer);
    out.stored += b.stored;
    out.fp16 += b.fp16;
  }
  return out;
}

}  // namespace wq::cache
