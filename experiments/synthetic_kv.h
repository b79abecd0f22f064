// Synthetic KV caches with the structure real video-LLM caches have, and whose
// query-relevant frames are known (the ground truth a similarity score should find):
//  - a text prefix (system prompt) before the visual tokens, token 0 an attention sink;
//  - visual tokens frame after frame; consecutive frames are near-duplicates, with
//    occasional scene cuts;
//  - keys with a few outlier channels per layer (magnitudes 10-50x the rest), as KIVI and
//    KVQuant report for real keys;
//  - query tokens whose embeddings (and hence probe queries) point at a few relevant frames.
// Keys and queries come from one random projection of the embeddings per layer and head, so
// attention mass really concentrates on the relevant frames.
#pragma once

#include <cstdint>
#include <vector>

#include "core/method/context_description.h"
#include "core/cache/kv_cache.h"

namespace wq {

struct SyntheticKvOptions {
  int layers = 4;
  int kv_heads = 2;
  int q_heads = 4;            // multiple of kv_heads
  int head_dim = 64;
  int hidden = 64;            // embedding width
  int text_prefix = 16;       // system-prompt tokens before the video (token 0: sink)
  int frames = 16;
  int tokens_per_frame = 16;
  int query_tokens = 12;
  int relevant_frames = 2;    // frames the query is about
  int outlier_channels = 4;   // per layer, keys only
  double outlier_scale = 20;  // magnitude of outlier channels relative to the rest
  double frame_noise = 0.15;  // change between consecutive frames (near-duplicates)
  double scene_cut_prob = 0.1;
  double query_focus = 4.0;   // how sharply the probe queries attend to relevant frames
  uint64_t seed = 0;
};

struct SyntheticKv {
  cache::FullKv kv;                         // [layers][kv_heads][T][head_dim], T = prefix + visual
  methods::ContextDescription context;      // visual positions, frames, embeddings, probe queries
  std::vector<int> relevant_frames;         // ground truth, sorted
  // probe_queries of `context`, reused as the attention queries of the fidelity checks.
};

SyntheticKv make_synthetic_kv(const SyntheticKvOptions& options);

}  // namespace wq
