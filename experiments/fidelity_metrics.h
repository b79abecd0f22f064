// Error measures of one compressed KV head against its full-precision original, and their
// aggregation into run metrics (kv_fidelity, sensitivity).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/cache/kv_bits.h"
#include "core/cache/kv_cache.h"
#include "experiments/synthetic_kv.h"

namespace wq {

struct HeadFidelity {
  double k_rel_err = 0;         // ||K̂ − K||_F / ||K||_F over the visual tokens
  double v_rel_err = 0;
  double attn_out_rel_err = 0;  // ||ô − o|| / ||o|| over the probe queries of the head's group
  double attn_kl = 0;           // mean KL(p || p̂) of the attention distributions
  double relevant_mass_fp = 0;  // attention mass on the relevant frames, original cache
  double relevant_mass_quant = 0;
};

// [T] 1 where the original token belongs to a relevant frame.
std::vector<uint8_t> relevant_token_mask(const SyntheticKv& synthetic);

// Compares KV head `head` of `layer` (compressed in `layer_cache`) with the original, using
// the probe queries of the query heads that read it.
HeadFidelity head_fidelity(const SyntheticKv& synthetic, const cache::LayerCache& layer_cache, int layer,
                           int head, const std::vector<uint8_t>& relevant);

struct FidelityTotals {
  std::vector<HeadFidelity> heads;
  std::vector<double> search_ms, quant_ms;
  cache::BitCounts bits;
  double stored_bytes = 0, fp16_bytes = 0;

  void add_head(const HeadFidelity& head) { heads.push_back(head); }
  void add_cache(const cache::KvBits& kv_bits, const cache::CacheBytes& bytes);
  // Means of the head measures, bits_nominal/effective, kv_bytes, fp16_kv_bytes,
  // compression_ratio, t_search_ms_mean, t_quant_ms_mean.
  void write_metrics(std::map<std::string, double>& metrics) const;
};

}  // namespace wq
