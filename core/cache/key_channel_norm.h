// ZipCache's channel-separable keys (arXiv 2405.14256, methods.md token_mixed): before keys are
// quantized per token, each channel is divided by a factor shared by every token of the layer
// and KV head, sqrt(max |k| of the channel), so that outlier channels no longer set every
// token's range; the factors are kept once per head and undone when the keys are read.
//
// We round each factor to the nearest power of two (in log2). Quantization is per token, so
// the factor only balances channels and a factor within sqrt(2) of ZipCache's balances them as
// well; in exchange dividing by it is exact in every float format, which lets a reader keep
// the whole layer in the normalised frame: q·k = (q∘f)·(k/f) exactly, so the attention kernels
// read the normalised codes with the query multiplied by f, full-precision keys are stored
// divided by f without rounding, and nothing else about the kernels changes.
#pragma once

#include <vector>

#include "core/cache/plan.h"

namespace wq::cache {

// f[c] = 2^round(log2(sqrt(max_abs[c]))), exponent clamped to [-14, 15] (fp16-representable);
// 1 for a channel whose max is 0 (or not finite).
std::vector<float> key_channel_factors(const std::vector<float>& max_abs);

// max |x| per channel over the tokens of `ranges` that are quantized (pieces and interleaved
// runs; full-precision ranges are left out, they do not shape any quantization group).
// x: [tokens][head_dim] fp32 in stored order.
std::vector<float> quantized_channel_abs_max(const float* x, int head_dim, const std::vector<StoredRange>& ranges);

// x[t][c] *= factor[c] (or /= when divide) for n rows of factor.size() channels.
void scale_channels(float* x, int n, const std::vector<float>& factor, bool divide);

}  // namespace wq::cache
