// The decode-time residual of a TailRule (plan.h): which tail tokens are quantized once the
// tail holds n tokens, and how a chunk of them is stored. Shared by every cache mode so that
// simulate (the model's dense cache, quantized and dequantized in place), the CPU packed
// context and the GPU packed cache move the same tokens at the same step.
//
// The tail is cut into chunks of G = key.group_size tokens. A chunk's keys are quantized when
// the R-token block holding it is complete (KIVI: key_states_full reaches R); its values are
// first kept as fp16 (the b16 pass-through, as KIVI's value_states_full is fp16) and
// quantized, from those fp16 values, once R newer tokens follow the whole chunk. KIVI
// quantizes one value per step; whole chunks keep a key group inside one segment, so up to
// G − 1 more values stay fp16 than KIVI keeps (the same rounding as its prefill rule,
// docs/methods.md).
#pragma once


#include "core/cache/plan.h"
#include "core/cache/segment.h"

namespace wq::cache {

// Leading tail tokens whose keys / values are quantized once the tail holds `tail_tokens`.
struct TailSplit {
  int keys = 0;
  int values = 0;
};
TailSplit tail_split(const TailRule& rule, int tail_tokens);

// Tokens per chunk (the key group size); 0 when the rule is off.
int tail_chunk_tokens(const TailRule& rule);

// Throws std::invalid_argument unless the rule is off or: R a positive multiple of the key
// group, keys per channel and values per token, neither 16-bit, no channel transform.
void validate(const TailRule& rule, int head_dim);

// One chunk as stored when its keys are quantized: keys under rule.key, values as fp16.
// k, v: [n][head_dim] fp32 of one KV head. Simulate mode keeps the dequantized values.
Segment tail_chunk(const TailRule& rule, const float* k, const float* v, int n, int head_dim, CacheMode mode);
// The chunk's values quantized under rule.value, from the fp16 values it holds.
void quantize_chunk_values(const TailRule& rule, Segment& chunk, int head_dim, CacheMode mode);

// Simulate mode on a dense cache: what the tail's growth from `before` to `after` tokens
// moves, quantized and dequantized in place. k, v: [after][head_dim] fp32 tail rows of one KV
// head.
void simulate_tail_growth(const TailRule& rule, float* k, float* v, int before, int after, int head_dim);

}  // namespace wq::cache
