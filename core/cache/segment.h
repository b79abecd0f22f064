// Segment: a contiguous range of stored tokens of one layer and KV head that share one
// storage kind. Holds packed K and V (packed mode) or their dequantized fp32 values
// (simulate mode), plus exact bit accounting that is identical in both modes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cache/interleaved.h"
#include "core/cache/plan.h"
#include "core/quant/quantize.h"

namespace wq::cache {

// simulate: quantize-dequantize, keep fp32 (accuracy studies on any device).
// packed:   keep the packed arrays of docs/packing.md, dequantize on the fly when read.
// layout:   no values at all: the segments, positions and exact bit accounting that packed
//           mode would give, for a cache whose arrays are built elsewhere (on the GPU).
enum class CacheMode : uint8_t { simulate = 0, packed = 1, layout = 2 };

enum class SegmentKind : uint8_t {
  full_precision = 0,  // fp32 values, accounted at 16 bits per element (fp16 storage)
  quantized = 1,       // one TensorPlan per tensor (uniform spec or channel parts)
  interleaved = 2,     // per-token widths (docs/packing.md token-interleaved layout)
};

// Exact storage of one tensor (or a sum of them), in bits. Scales and zero-points (mins) are
// kept apart so reports can show them; kv_bits adds them together as "scale/zero bits".
struct BitCounts {
  double elements = 0;       // original (pre-transform) elements described
  double nominal = 0;        // Σ nominal width × elements (FFT doubling NOT included)
  double code_bits = 0;      // packed words × 32 (padding of last words included)
  double scale_bits = 0;     // fp16 scales × 16
  double min_bits = 0;       // fp16 mins × 16
  double side_bits = 0;      // per-token / per-part indices a reader needs
  double fp_bits = 0;        // full-precision elements × 16 (fp16 storage assumption)

  double total_bits() const { return code_bits + scale_bits + min_bits + side_bits + fp_bits; }
  BitCounts& operator+=(const BitCounts& o);
  BitCounts scaled(double factor) const;  // every field × factor (proportional shares)
};

// One channel part of a quantized tensor. channels empty = all channels in order.
struct TensorPart {
  std::vector<int> channels;
  quant::QTensor packed;  // packed mode only (empty arrays in simulate mode)
};

// K or V of one segment.
struct SegmentTensor {
  std::vector<TensorPart> parts;    // quantized kind, packed mode
  InterleavedTensor interleaved;    // interleaved kind, packed mode
  std::vector<float> values;        // [n][D] fp32: full_precision kind, or simulate mode
  BitCounts bits;                   // exact storage; same in both modes
};

struct Segment {
  SegmentKind kind = SegmentKind::full_precision;
  int begin = 0;  // stored-order range [begin, end)
  int end = 0;
  SegmentTensor key;
  SegmentTensor value;
  int size() const { return end - begin; }
};

// x: [n][D] fp32 of the segment's tokens (already in stored order).
// Quantized: each part gathers its channels and quantizes with allow_partial_token_group.
// Channel parts cost side storage of 16 bits per listed channel (an int16 index).
SegmentTensor make_quantized_tensor(const float* x, int n, int head_dim, const TensorPlan& plan,
                                    CacheMode mode);
SegmentTensor make_interleaved_tensor(const float* x, int n, int head_dim,
                                      const std::vector<QuantBits>& bits, int group_size,
                                      CacheMode mode);
// x may be null (layout mode): accounting only.
SegmentTensor make_full_precision_tensor(const float* x, int n, int head_dim);

// Writes the segment tensor's values as fp32 [n][D] into out (dequantizing when packed).
void read_tensor(const Segment& segment, const SegmentTensor& tensor, int head_dim, float* out);

}  // namespace wq::cache
