// What a KV method may know about one sample besides the cache itself (protocol.md step 5):
// which context tokens are visual, where they sit in the video, and the query text in three
// forms (token ids, input embeddings, probe queries from a full-precision pass).
#pragma once

#include <cstdint>
#include <vector>

#include "core/cache/kv_cache.h"

namespace wq::methods {

struct ContextDescription {
  int context_tokens = 0;  // T: tokens of the context prefill (== FullKv::tokens)

  // Visual tokens, by original position, strictly increasing, each in [0, T).
  std::vector<int32_t> visual_positions;
  // Per visual token (same order): frame index (non-decreasing) and spatial index in it.
  std::vector<int32_t> frame_index;
  std::vector<int32_t> spatial_index;

  // Query text (the part after the context).
  std::vector<int32_t> query_token_ids;  // [Q]
  int hidden = 0;                        // LLM embedding width
  std::vector<float> query_embeddings;   // [Q][hidden] fp32 input embeddings
  std::vector<float> visual_embeddings;  // [Nvis][hidden] fp32, after the projector

  // Probe queries of the query tokens from a full-precision pass over the query reading the
  // uncompressed context: probe_queries[layer] is [probe_heads][Q][head_dim] fp32, post-RoPE.
  // Empty when the runner did not compute them (methods that need them refuse to plan).
  int probe_heads = 0;
  std::vector<std::vector<float>> probe_queries;

  int num_visual() const { return static_cast<int>(visual_positions.size()); }
  int num_query() const { return static_cast<int>(query_token_ids.size()); }
  bool has_embeddings() const { return hidden > 0 && !visual_embeddings.empty() && !query_embeddings.empty(); }
  bool has_probe() const { return probe_heads > 0 && !probe_queries.empty(); }

  // [T] 1 where the original position is visual.
  std::vector<uint8_t> visual_mask() const;
  // Throws std::invalid_argument naming the first inconsistency with the cache's shape.
  void validate(const cache::FullKv& kv) const;
};

// A description where every context token is visual, one frame of `tokens_per_frame`
// tokens after another, with no query information (tests, kv_fidelity on raw tensors).
ContextDescription all_visual_context(int tokens, int tokens_per_frame);

}  // namespace wq::methods
