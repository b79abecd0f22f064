// How a model's attention reads a packed-mode compressed cache (design.md: the model side
// reads its cache through core/cache): attend and append. The cache is the packed context and
// then a full-precision tail of the tokens appended since; everything stored precedes a query,
// so attention over it needs no mask (a span being computed attends itself causally and
// merges through the log-sum-exp).
//
// Quantized segments are read by the CPU kernels (kernels/cpu/cpu_attention.h) straight from
// the packed arrays ("fused"); full-precision segments (text, residual, sinks) are read in
// fp32 as stored. A layer stored in Hadamard-rotated channels is read in that frame (the query
// rotated, the output rotated back: kernel_views.h ChannelFrame); channel-normalised keys
// (key_channel_norm.h) are read with the query multiplied by the head's factors, the tail
// divided by them as it is appended. A layer whose layout no kernel
// view describes (an FFT of the channels, channel parts) is dequantized into a scratch buffer
// one layer at a time ("dequantized"); path() says which, so no table mixes the two silently.
// Under a TailRule (KIVI's decode-time residual, tail_rule.h) appended tokens leave the
// full-precision tail in chunks that are packed and read by the kernels like the context.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cache/kv_cache.h"
#include "core/cache/tail_rule.h"
#include "kernels/kv_view.h"

namespace wq::cache {

enum class AttentionPath : uint8_t { fused = 0, dequantized = 1 };
const char* attention_path_name(AttentionPath path);  // "fused" | "dequantized"

class PackedContext {
 public:
  // cache: packed mode (std::invalid_argument otherwise); it must outlive this object.
  explicit PackedContext(const KvCache& cache, const TailRule& tail_rule = {});
  explicit PackedContext(const KvCache&& cache, const TailRule& tail_rule = {}) = delete;  // keeps a reference

  int layers() const { return static_cast<int>(layers_.size()); }
  // fused when every layer's quantized segments are read by the kernels from the packed arrays.
  AttentionPath path() const { return path_; }
  // Why some layer is dequantized (empty when the path is fused).
  const std::string& dequantized_reason() const { return dequantized_reason_; }

  // Appends n tokens to the tail of `layer` (then applies the tail rule). k, v:
  // [kv_heads][n][head_dim] fp32.
  void append(int layer, const float* k, const float* v, int n);
  // Tokens appended to `layer`, and of them those still in full precision.
  int tail_tokens(int layer) const;
  int full_precision_tail_tokens(int layer) const;

  // Attention of q_tokens query tokens over everything stored in `layer` (context and tail).
  // q: [q_heads][q_tokens][head_dim] fp32, post-RoPE; query head h reads KV head
  // h / (q_heads / kv_heads). out: [q_heads][q_tokens][head_dim] fp32; lse: [q_heads][q_tokens],
  // ln Σ exp(scale · q·k) with scale 1/sqrt(head_dim) (−inf and a zero row for an empty context).
  void attend(int layer, const float* q, int q_heads, int q_tokens, float* out, float* lse) const;

 private:
  struct DenseRun {  // full-precision tokens [n][D] fp32, in the layer's frame
    const float* k = nullptr;
    const float* v = nullptr;
    int n = 0;
  };
  struct HeadTable {
    std::vector<kernels::segment_view> quantized;  // read by the kernels: context, then tail chunks
    int context_views = 0;                         // leading entries of `quantized` from the context
    std::vector<DenseRun> full_precision;          // fp32 values
    std::vector<std::vector<float>> rotated;       // the rotated copies full_precision points at
  };
  struct LayerTables {
    bool fused = true;
    bool rotated = false;  // Hadamard frame: queries, full-precision tokens and outputs rotated
    std::vector<HeadTable> heads;  // [kv_heads]
    std::vector<std::vector<Segment>> tail_chunks;   // [kv_heads][chunk]: packed by the tail rule
    int appended = 0;                          // tokens appended
    int tail = 0;                              // of them still full precision (the newest)
    std::vector<std::vector<float>> tail_k, tail_v;  // [kv_heads][tail][D] fp32
  };
  // Moves what the tail rule quantizes once `layer` holds `appended` tail tokens.
  void apply_tail_rule(int layer, int appended);
  const KvCache& cache_;
  TailRule tail_rule_;
  std::vector<LayerTables> layers_;
  AttentionPath path_ = AttentionPath::fused;
  std::string dequantized_reason_;
};

// Merges partial attention b into a (the same query rows over disjoint key sets):
// out_a, out_b: [rows][head_dim]; lse_a, lse_b: [rows] natural log. −inf marks an empty part.
void merge_partial_attention(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int rows,
                             int head_dim);

}  // namespace wq::cache
