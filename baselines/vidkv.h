// VidKV's decisions, exposed so tests can check each against the authors' code
// (tests/data/oracle/vidkv.json). The method itself is in vidkv.cpp.
#pragma once

#include <vector>

#include "core/method/context_description.h"
#include "core/cache/kv_cache.h"

namespace wq::methods::vidkv {

// Keys' "difficult" channels of one layer: the k = int(D · ratio) channels of largest range
// (max − min over every KV head and every token in `tokens`), returned sorted ascending.
// ratio = key_bits − 1 (0.5 for "1.5-bit"); k = 32 when ratio > 0 but int(D · ratio) = 0, as
// in their code. fp16_ranges: compute max − min in fp16 like their torch code (ties broken
// toward the lower channel; torch.topk leaves ties unspecified).
std::vector<int> difficult_channels(const cache::FullKv& kv, int layer, const std::vector<int>& tokens, double ratio,
                                    bool fp16_ranges);

// Embedding score of every visual token: mean over query tokens of <visual, query> (their
// llava_qwen.py _process_token_mm). fp16: each dot product and the mean rounded to fp16 as
// their half-precision matmul and mean do. Returns [Nvis].
std::vector<float> salient_scores(const ContextDescription& ctx, bool fp16);

// Salient visual tokens as ORIGINAL positions, ascending.
//  code_rule: k = max(32, int(N·ratio // 32 · 32)) by score, then sorted by position and the
//             LAST 32 dropped (their `torch.sort(topk_indices)[0][:-32]`).
//  otherwise: the floor(N·ratio) best tokens.
std::vector<int> salient_tokens(const std::vector<float>& scores, const ContextDescription& ctx, double ratio,
                                bool code_rule);

}  // namespace wq::methods::vidkv
