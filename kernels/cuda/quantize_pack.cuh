// GPU quantize + pack into exactly the layout of docs/packing.md, bit-identical to core/quant's
// quantize_group (same fp32/double arithmetic in the same order, round half to even).
// Framework-free: raw device pointers, sizes and a stream.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace wq::kernels {

enum class input_dtype : uint8_t { f16 = 0, bf16 = 1, f32 = 2 };

// Mirror of the parts of core/quant's QuantSpec a packed group needs.
struct pack_spec {
  int bits = 2;              // integer width 1, 2, 3, 4, 8; ternary: 2 (see ternary)
  bool ternary = false;      // 1.58-bit codes u = t + 1
  bool base3 = false;        // ternary stored 20 trits per word
  bool symmetric = false;    // b2..b8: s = max|x| / (2^(b-1) - 1), no min
  bool sign_meanabs = false; // 1-bit VidKV rule: code = x >= 0, scale = mean|x|, no min
  bool kivi_fp16 = false;    // ComputeMode::fp16 (KIVI's op-by-op half arithmetic)
  bool per_channel = false;  // GroupAxis::tokens: a group is group_size tokens of one channel
  int group_size = 32;
  float ternary_gamma = 0.7f;
  int ternary_scale_rule = 0;  // TernaryScaleRule: 0 mean_abs_nonzero, 1 mean_abs, 2 max_abs, 3 unit
};

// Words per row and groups per row of the output (per-channel: rows are channels).
int64_t packed_row_words(const pack_spec& spec, int tokens, int channels);
int64_t packed_row_groups(const pack_spec& spec, int tokens, int channels);

// x:      [heads][tokens][channels] (head stride x_head_stride elements), dtype `dtype`, device
// words:  [heads][rows][row_words] uint32 (rows = channels if per_channel else tokens)
// scales: [heads][rows][row_groups] fp16 bits; mins likewise (asymmetric only, else unused)
// Per-head output strides are dense (rows · row_words, rows · row_groups).
void quantize_pack(const pack_spec& spec, const void* x, input_dtype dtype, int heads, int tokens,
                   int channels, int64_t x_head_stride, uint32_t* words, uint16_t* scales,
                   uint16_t* mins, cudaStream_t stream);

// One tensor of a quantize_pack_many call (quantize_pack's arguments).
struct pack_task {
  pack_spec spec;
  const void* x = nullptr;
  int heads = 0, tokens = 0, channels = 0;
  int64_t x_head_stride = 0;
  uint32_t* words = nullptr;
  uint16_t* scales = nullptr;
  uint16_t* mins = nullptr;
};

// quantize_pack of every task (one input dtype). Tasks the fast kernels take share launches:
// all per-channel tasks with the same group size and channels are one launch, all per-token
// tasks with the same group size another, whatever their widths (a WindowQuant layer's K and
// V segments of every width: two launches). The others run one by one.
void quantize_pack_many(const pack_task* tasks, int count, input_dtype dtype, cudaStream_t stream);

// Token-interleaved layout (core/cache InterleavedTensor) for one tensor of `heads` heads that
// share the per-token widths: bits [tokens] (1, 2, 3, 4, 8 or 16), word_offset [tokens]
// (exclusive prefix sum of ceil(D / c_t)), both device. words: [heads][words_per_head];
// scales/mins: [heads][tokens][channels / group_size] fp16 bits (zero for 16-bit tokens).
void quantize_pack_interleaved(const void* x, input_dtype dtype, int heads, int tokens,
                               int channels, int64_t x_head_stride, const uint8_t* bits,
                               const uint32_t* word_offset, int64_t words_per_head,
                               int group_size, uint32_t* words, uint16_t* scales, uint16_t* mins,
                               cudaStream_t stream);

}  // namespace wq::kernels
