// A packed KV cache of one layer built on the GPU from full-precision K/V with the GPU
// quantize+pack kernels: owns the packed buffers and the segment table (host and device
// copies). Used by the GPU tests, the GPU benchmark and the kernel_perf experiment.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "kernels/cuda/quantize_pack.cuh"
#include "kernels/kv_view.h"

namespace wq::kernels {

struct tensor_spec {
  enum class kind : uint8_t { dense, packed, interleaved } storage = kind::dense;
  pack_spec pack;             // packed
  std::vector<uint8_t> bits;  // interleaved: width of each token of the segment (shared by heads)
  int group_size = 32;        // interleaved channel group
};

struct segment_spec {
  int tokens = 0;
  tensor_spec key, value;
};

// Where device memory comes from: cudaMalloc by default, or a framework's allocator (the model
// side passes LibTorch's caching allocator, so its memory statistics count the packed cache).
struct device_allocator {
  void* (*allocate)(size_t bytes) = nullptr;
  void (*release)(void* ptr) = nullptr;
};

// Owning device allocation (cudaMalloc, or `allocator`; freed on destruction).
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(size_t bytes, const device_allocator* allocator = nullptr);
  ~device_buffer();
  device_buffer(device_buffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_), allocator_(o.allocator_) {
    o.ptr_ = nullptr;
    o.bytes_ = 0;
  }
  device_buffer& operator=(device_buffer&& o) noexcept;
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  void* get() const { return ptr_; }
  template <class T> T* as() const { return static_cast<T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void release();
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  const device_allocator* allocator_ = nullptr;
};

class device_cache {
 public:
  // k, v: device [batch][kv_heads][tokens][head_dim] in `dtype`, stored order; packed and
  // interleaved segments are quantized here. With fp16/bf16 input, dense segments point into
  // k/v (which must outlive the cache). fp32 input is for values a 16-bit copy would round
  // before quantization (a rotated frame): the kernels read 16-bit dense rows only, so its
  // dense segments are left without data (words null) for the caller to point at its own.
  // Segment token counts must sum to `tokens`. Same specs for every sequence of the batch.
  // allocator: where the packed buffers come from (null: cudaMalloc); must outlive the cache.
  device_cache(const void* k, const void* v, input_dtype dtype, int batch, int kv_heads, int tokens,
               int head_dim, const std::vector<segment_spec>& specs, cudaStream_t stream,
               const device_allocator* allocator = nullptr);

  // Re-runs every quantize+pack of the cache (for timing); same results.
  void requantize(cudaStream_t stream);

  const segment_view* device_table() const { return table_dev_.as<segment_view>(); }
  const std::vector<segment_view>& table() const { return table_; }  // device pointers
  int num_segments() const { return num_segments_; }
  int max_tiles() const { return max_tiles_; }
  // Bytes an attention pass must read (codes, scales, mins, per-token side data, dense tokens)
  // and bytes quantize+pack reads (full-precision input) and writes.
  size_t attention_bytes() const { return attention_bytes_; }
  size_t pack_read_bytes() const { return pack_read_bytes_; }
  size_t pack_write_bytes() const { return pack_write_bytes_; }

  // Host mirror: copies every buffer back and returns a table over host memory (kept alive by
  // `storage`), for the CPU reference.
  std::vector<segment_view> host_table(std::vector<std::vector<uint8_t>>& storage) const;

 private:
  struct pack_job {
    bool interleaved;
    pack_spec spec;
    const void* x;
    int heads, tokens, group_size;
    int64_t x_head_stride, words_per_head;
    tensor_view* view;
  };
  // Counts one sequence's part of a view's buffers (attention and pack bytes) and registers it
  // for host_table.
  struct slice {
    const void* ptr;
    size_t bytes;
    bool packed_output;  // written by quantize+pack (not side data uploaded once)
  };
  void record_slices(std::initializer_list<slice> slices);
  void build_tensor(const tensor_spec& ts, const void* x, int seq, int seg_tokens, int64_t x_token_offset,
                    const tensor_view& first_seq_view, tensor_view& tv, cudaStream_t stream);

  input_dtype dtype_;
  const device_allocator* allocator_;
  int batch_, kv_heads_, tokens_, head_dim_, num_segments_ = 0, max_tiles_ = 0;
  std::vector<device_buffer> buffers_;
  std::vector<segment_view> table_;
  device_buffer table_dev_;
  std::vector<pack_job> jobs_;
  // Sizes of every buffer that belongs to a view, for host_table.
  struct owned { const void* ptr; size_t bytes; };
  std::vector<owned> owned_;
  size_t attention_bytes_ = 0, pack_read_bytes_ = 0, pack_write_bytes_ = 0;
};

}  // namespace wq::kernels
