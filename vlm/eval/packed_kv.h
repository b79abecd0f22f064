// The compressed cache of one method run in packed mode, as the model's attention reads it
// (models::ContextAttention), with what it really allocates:
//  - CPU: core/cache's PackedContext over the packed cache core/cache built (the CPU kernels
//    read the packed arrays; full-precision segments are read in fp32);
//  - GPU: every layer packed on the device by the GPU quantize+pack kernels straight from the
//    model's context K/V (they never leave the GPU) and read by the fused CUDA attention
//    (decode kernel at one query token, split kernel for the query prefill); the appended
//    full-precision tail is one more dense segment of the same table, so a decode step reads
//    context and tail in one kernel call.
// A layer stored in Hadamard-rotated channels (AKVQ-VL) is read in that frame: the query is
// rotated, the output rotated back (core/cache/kernel_views.h ChannelFrame); one whose keys
// are stored channel-normalised (token_mixed, core/cache/key_channel_norm.h) is read with the
// query multiplied by its head's factors. A layer whose
// layout the kernels cannot read (an FFT of the channels, channel parts; on the GPU also
// per-channel values and 16-bit tokens inside a token-interleaved run) is dequantized instead,
// and attention_path() says so.
#pragma once

#include <memory>
#include <string>

#include "core/cache/kv_cache.h"
#include "vlm/models/qwen2.h"

namespace wq::eval {

class PackedKv : public models::ContextAttention {
 public:
  // "fused": every layer read from its packed arrays by the kernels; "dequantized": at least
  // one layer is not (dequantized_reason() says which and why).
  virtual std::string attention_path() const = 0;
  virtual std::string dequantized_reason() const = 0;
  // Bytes of the allocations that hold the context as the attention reads it (packed codes,
  // scales, mins, per-token side data, full-precision tokens; dequantized layers at their
  // dequantized size). On the GPU, when every layer is fused, this is cache_bytes().stored
  // less the per-head side data a method charges that attention never reads (a reorder index).
  virtual double allocated_bytes() const = 0;
};

// CPU: over `packed`, a packed-mode cache (kept alive by the caller); appended tokens follow
// `tail_rule` (cache/tail_rule.h).
std::unique_ptr<PackedKv> cpu_packed_kv(const cache::KvCache& packed, const cache::TailRule& tail_rule);

// Whether this build has the CUDA kernels (cuda_packed_kv throws without them).
bool cuda_packed_kv_available();
// Whether they read a model of this head dim (cuda_packed_kv throws otherwise).
bool cuda_packed_kv_reads(int head_dim);

// GPU: context: per layer [1, kv_heads, T, head_dim] bf16 or fp16 on the GPU (post-RoPE);
// plan: the method's plan over those T tokens (appended tokens follow plan.tail); host_context: the same K/V as fp32 on the host
// (read only for layers that must be dequantized). Builds and packs on the device's default
// stream and returns once the cache is complete.
std::unique_ptr<PackedKv> cuda_packed_kv(const models::KVLayers& context, const cache::Plan& plan,
                                         const cache::FullKv& host_context);

}  // namespace wq::eval
