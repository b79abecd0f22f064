// Plan: the method-agnostic description of how to compress one cache. A method decides a
// Plan; build_cache (kv_cache.h) applies it, packs and accounts bytes. Nothing here knows
// about any particular method.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/quant/quant_spec.h"

namespace wq::cache {

using quant::QuantBits;
using quant::QuantSpec;

// A subset of channels quantized under its own spec (VidKV keys: outlier channels at 2 bits,
// the others through fft_channels at 1 bit). channels: strictly increasing indices in [0, D).
struct ChannelPartSpec {
  std::vector<int> channels;
  QuantSpec spec;
};

// How one tensor (K or V) of a piece is quantized: `spec` for all channels when `parts` is
// empty; otherwise `parts` must partition [0, D) (every channel exactly once).
struct TensorPlan {
  QuantSpec spec;
  std::vector<ChannelPartSpec> parts;
};

// Tokens [begin, end) of the NEW (stored) order, quantized as one uniform segment.
struct PlanPiece {
  int begin = 0;
  int end = 0;
  TensorPlan key;
  TensorPlan value;
};

// Tokens [begin, end) of the new order stored token-interleaved (docs/packing.md): token i
// (begin <= i < end) has width bits[i - begin] for both K and V, per-token groups of
// group_size channels. Widths: b1 (minmax), b2, b3, b4, b8 or b16 (fp16 bits, no stats used).
struct InterleavedPiece {
  int begin = 0;
  int end = 0;
  std::vector<QuantBits> bits;  // [end - begin]
  int group_size = 32;
};

struct LayerPlan {
  // Permutation of the context tokens [0, T): stored slot i holds original token order[i].
  // Empty = identity. K, V and positions move together.
  std::vector<int32_t> order;
  // Disjoint ranges (pieces and interleaved together) in the new order. Tokens covered by
  // neither stay full precision (kept fp32, accounted as fp16: 16 bits per element).
  std::vector<PlanPiece> pieces;
  std::vector<InterleavedPiece> interleaved;
  // Extra storage a method keeps per KV head beyond what the segments hold (e.g. an index
  // list of salient tokens), in bits; charged to the visual part by kv_bits.
  double side_bits_per_head = 0;
  // Keys stored divided by per-channel power-of-two factors of each head, ZipCache's
  // channel-separable keys (key_channel_norm.h); the factors cost 16 bits per channel per head
  // (KvCache accounts them). Not with a channel transform (one frame per layer).
  bool key_channel_norm = false;
};

// KIVI's decode-time residual (models/llama_kivi.py, decode branch), applied to the tail: the
// tokens appended after the compressed context (query, generated). Once `residual` tail keys
// have gathered they are quantized as one block under `key` (per channel, groups of
// key.group_size tokens); a value is quantized under `value` (per token) once `residual`
// newer tokens follow it, in whole key groups (core/cache/tail_rule.h). residual 0: the tail
// stays full precision (every other method).
struct TailRule {
  int residual = 0;
  QuantSpec key;
  QuantSpec value;
};

struct Plan {
  // One entry shared by every layer, or exactly one per layer.
  std::vector<LayerPlan> layers;
  TailRule tail = {};  // off unless a method sets it

  // Throws std::out_of_range when the plan has neither 1 nor > layer entries.
  const LayerPlan& for_layer(int layer) const;
};

// Throws std::invalid_argument with the offending piece when: order is not a permutation of
// [0, tokens); a range is empty, out of [0, tokens) or overlaps another; a TensorPlan's parts
// do not partition [0, head_dim); an interleaved piece's bits size differs from its range or
// holds ternary; a spec is invalid (quant::validate); key_channel_norm meets a key transform.
void validate(const LayerPlan& plan, int tokens, int head_dim);

// One range of the stored order and how it is kept: a plan piece, an interleaved piece, or
// (both null) full precision.
struct StoredRange {
  int begin = 0;
  int end = 0;
  const PlanPiece* piece = nullptr;
  const InterleavedPiece* interleaved = nullptr;
};
// The stored order of `tokens` context tokens under `plan`, front to back: its pieces sorted
// by begin, every maximal uncovered run between them as one full-precision range (empty
// ranges left out). What build_head builds segments from, and what a GPU builder follows.
std::vector<StoredRange> stored_ranges(const LayerPlan& plan, int tokens);

// A plan that keeps every token in full precision (the fp16 method).
Plan full_precision_plan();
// One uniform piece over [begin, end) of the identity order (KIVI-like helpers build on it).
LayerPlan uniform_layer_plan(int begin, int end, const QuantSpec& key_spec,
                             const QuantSpec& value_spec);

}  // namespace wq::cache
