// Consistency checks of a ContextDescription against the cache it describes.
#include "core/method/context_description.h"

#include <stdexcept>
#include <string>

namespace wq::methods {

std::vector<uint8_t> ContextDescription::visual_mask() const {
  std::vector<uint8_t> mask(static_cast<size_t>(context_tokens), 0);
  for (int32_t p : visual_positions) mask[static_cast<size_t>(p)] = 1;
  return mask;
}

void ContextDescription::validate(const cache::FullKv& kv) const {
  auto fail = [](const std::string& what) { throw std::invalid_argument("context description: " + what); };
  if (context_tokens != kv.tokens)
    fail("context_tokens " + std::to_string(context_tokens) + " != cache tokens " + std::to_string(kv.tokens));
  const size_t n = visual_positions.size();
  for (size_t i = 0; i < n; ++i) {
    const int32_t p = visual_positions[i];
    if (p < 0 || p >= context_tokens) fail("visual position " + std::to_string(p) + " outside the context");
    if (i > 0 && p <= visual_positions[i - 1]) fail("visual positions must be strictly increasing");
  }
  if (frame_index.size() != n) fail("frame_index has " + std::to_string(frame_index.size()) + " entries, expected " + std::to_string(n));
  if (!spatial_index.empty() && spatial_index.size() != n) fail("spatial_index size differs from visual tokens");
  for (size_t i = 1; i < n; ++i)
    if (frame_index[i] < frame_index[i - 1]) fail("frame_index must be non-decreasing");
  if (hidden > 0) {
    if (query_embeddings.size() != query_token_ids.size() * static_cast<size_t>(hidden))
      fail("query_embeddings is not [Q][hidden]");
    if (!visual_embeddings.empty() && visual_embeddings.size() != n * static_cast<size_t>(hidden))
      fail("visual_embeddings is not [Nvis][hidden]");
  }
  if (has_probe()) {
    if (static_cast<int>(probe_queries.size()) != kv.layers) fail("probe_queries needs one entry per layer");
    if (probe_heads % kv.kv_heads != 0) fail("probe_heads must be a multiple of kv_heads");
    const size_t expected = static_cast<size_t>(probe_heads) * query_token_ids.size() * kv.head_dim;
    for (const auto& layer : probe_queries)
      if (layer.size() != expected) fail("probe_queries[layer] is not [probe_heads][Q][head_dim]");
  }
}

ContextDescription all_visual_context(int tokens, int tokens_per_frame) {
  ContextDescription ctx;
  ctx.context_tokens = tokens;
  for (int t = 0; t < tokens; ++t) {
    ctx.visual_positions.push_back(t);
    ctx.frame_index.push_back(t / tokens_per_frame);
    ctx.spatial_index.push_back(t % tokens_per_frame);
  }
  return ctx;
}

}  // namespace wq::methods
