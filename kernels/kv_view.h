// Framework-free views of a packed KV cache, shared by the CPU and CUDA kernels.
// The arrays they point at are exactly what core/quant and core/cache write (docs/packing.md);
// a view only adds where they live (host or device) and how to step between KV heads.
#pragma once

#include <cstdint>

namespace wq::kernels {

// How one tensor (K or V) of a segment is stored. Values are stable: tables are built on the
// host and read by device code.
enum class tensor_format : uint8_t {
  empty = 0,        // segment with no tokens
  packed = 1,       // uniform spec: codes of `storage_bits` (or base-3 trits) + fp16 scale/min
  interleaved = 2,  // token-level mixed precision: bits[t], word_offset[t] (docs/packing.md)
  dense16 = 3,      // full precision: fp16 or bf16 (same dtype as the query) [T][D]
};

// How a stored code becomes a value (docs/packing.md "Dequantization").
enum class dequant_rule : uint8_t {
  asym = 0,        // code·scale + min
  sym = 1,         // (code − (2^(b−1) − 1))·scale
  ternary = 2,     // (code − 1)·scale
  scale_only = 3,  // code·scale (1-bit sign_meanabs)
};

// The axis a quantization group runs along (core/quant calls it GroupAxis; quant_spec.h).
enum class group_axis : uint8_t { tokens = 0, channels = 1 };

// One tensor of one segment, for KV head 0; head h lives at pointer + h·head_stride_*.
struct tensor_view {
  tensor_format format = tensor_format::empty;
  dequant_rule rule = dequant_rule::asym;
  group_axis axis = group_axis::channels;
  uint8_t storage_bits = 0;  // 1, 2, 3, 4, 8 (ternary slots: 2); 16 for dense16
  uint8_t base3 = 0;         // 1: ternary packed 20 trits per word
  uint8_t dense_bf16 = 0;    // dense16 only: 1 = bf16 values, 0 = fp16
  int32_t group_size = 0;
  const uint32_t* words = nullptr;       // codes (or dense16 pairs, channel 2j in the low half)
  const uint16_t* scales = nullptr;      // fp16 bits
  const uint16_t* mins = nullptr;        // fp16 bits; asym only
  const uint8_t* bits = nullptr;         // interleaved: [T] integer width per token
  const uint32_t* word_offset = nullptr; // interleaved: [T] first word of token t
  int64_t head_stride_words = 0;   // words between KV heads
  int64_t head_stride_groups = 0;  // scale (and min) entries between KV heads
  int64_t head_stride_tokens = 0;  // interleaved bits/word_offset entries between KV heads
};

// A contiguous run of stored tokens that share one storage kind. A sequence is a list of
// segments in stored order (the full-precision tail is simply the last, dense16 one).
struct segment_view {
  int32_t tokens = 0;
  int32_t tile_begin = 0;  // filled by finalize_segment_table: first 64-token tile of this segment
  tensor_view key;
  tensor_view value;
};

// Tokens per work tile of the attention kernels (CPU and CUDA agree so tables are shared).
inline constexpr int kTileTokens = 64;

// Fills tile_begin of each sequence's segments (table: [batch][num_segments]) and returns the
// largest number of tiles of any sequence. Host side; cheap.
inline int finalize_segment_table(segment_view* table, int batch, int num_segments) {
  int max_tiles = 0;
  for (int b = 0; b < batch; ++b) {
    int tiles = 0;
    for (int s = 0; s < num_segments; ++s) {
      segment_view& seg = table[static_cast<int64_t>(b) * num_segments + s];
      seg.tile_begin = tiles;
      tiles += (seg.tokens + kTileTokens - 1) / kTileTokens;
    }
    if (tiles > max_tiles) max_tiles = tiles;
  }
  return max_tiles;
}

// 1 when every tensor of the (host) table is dense16 with 16-byte aligned rows and heads, or
// packed 1/2/4/8-bit (not base-3) with keys per channel and values per token; 2 when besides
// those some segments are token-interleaved in both keys and values (the decode kernel's
// interleaved instantiation); else 0 (3-bit, ternary base-3, per-token keys, unaligned dense
// rows, a segment with only one of its tensors interleaved: the general kernel).
inline int classify_table(const segment_view* table, int64_t count) {
  int kind = 1;
  for (int64_t i = 0; i < count; ++i) {
    const bool key_il = table[i].key.format == tensor_format::interleaved;
    if (key_il != (table[i].value.format == tensor_format::interleaved)) return 0;
    if (key_il) {
      kind = 2;
      continue;
    }
    for (int which = 0; which < 2; ++which) {
      const tensor_view& tv = which == 0 ? table[i].key : table[i].value;
      if (tv.format == tensor_format::empty) continue;
      if (tv.format == tensor_format::dense16) {
        if (reinterpret_cast<uintptr_t>(tv.words) % 16 != 0 || tv.head_stride_words % 4 != 0) return 0;
        continue;
      }
      if (tv.format != tensor_format::packed || tv.base3) return 0;
      if (tv.storage_bits != 1 && tv.storage_bits != 2 && tv.storage_bits != 4 && tv.storage_bits != 8) return 0;
      if ((which == 0) != (tv.axis == group_axis::tokens)) return 0;
    }
  }
  return kind;
}

// Attention problem over a segment table (decode: q_tokens = 1; query prefill: a few hundred).
// q, out: [batch][q_tokens][q_heads][head_dim] in the query dtype; every query token sees every
// stored token (no causal mask: the caller merges the queries' own causal block through lse).
struct attention_shape {
  int batch = 1;
  int q_heads = 0;
  int kv_heads = 0;
  int head_dim = 0;
  int q_tokens = 1;
  int num_segments = 0;  // per sequence
  int max_tiles = 0;     // from finalize_segment_table
  bool bf16 = false;     // query/output dtype: bf16 (else fp16)
  // classify_table(): 1 when it found only the common formats (keys per channel, values per
  // token, 1/2/4/8 bits, dense tail): leaner kernels; 2: those and token-interleaved segments
  // (decode kernel; query prefill takes the general kernel). 0: general kernel.
  int fast_formats = 0;
  float scale = 0.0f;    // softmax scale; 0 -> 1/sqrt(head_dim)
};

}  // namespace wq::kernels
