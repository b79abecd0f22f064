#include "kernels/cuda/torch/torch_binding.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/attention.cuh"

namespace wq::kernels::torch_api {
namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

}  // namespace

std::tuple<at::Tensor, at::Tensor> attention(const at::Tensor& q, const std::vector<segment_view>& table,
                                             int kv_heads, int num_segments, double scale) {
  require(q.is_cuda(), "attention: q must be a CUDA tensor (got " + q.device().str() + ")");
  require(q.scalar_type() == at::kHalf || q.scalar_type() == at::kBFloat16,
          std::string("attention: q must be float16 or bfloat16 (got ") + c10::toString(q.scalar_type()) + ")");
  require(q.dim() == 4, "attention: q must be [batch, q_tokens, q_heads, head_dim] (got " + shape_of(q) + ")");
  require(q.is_contiguous(), "attention: q must be contiguous");
  require(num_segments >= 1 && static_cast<int64_t>(table.size()) == q.size(0) * num_segments,
          "attention: table has " + std::to_string(table.size()) + " entries, expected batch " +
              std::to_string(q.size(0)) + " x num_segments " + std::to_string(num_segments));
  require(kv_heads >= 1 && q.size(2) % kv_heads == 0, "attention: q_heads " + std::to_string(q.size(2)) +
                                                          " is not a multiple of kv_heads " + std::to_string(kv_heads));
  for (const segment_view& s : table) check_segment_supported(s, static_cast<int>(q.size(3)));
  const c10::cuda::CUDAGuard guard(q.device());
  std::vector<segment_view> t = table;
  attention_shape shape;
  shape.batch = static_cast<int>(q.size(0));
  shape.q_tokens = static_cast<int>(q.size(1));
  shape.q_heads = static_cast<int>(q.size(2));
  shape.head_dim = static_cast<int>(q.size(3));
  shape.kv_heads = kv_heads;
  shape.num_segments = num_segments;
  shape.max_tiles = finalize_segment_table(t.data(), shape.batch, num_segments);
  shape.bf16 = q.scalar_type() == at::kBFloat16;
  shape.fast_formats = classify_table(t.data(), static_cast<int64_t>(t.size()));
  shape.scale = static_cast<float>(scale);
  const auto bytes_opts = q.options().dtype(at::kByte);
  at::Tensor table_dev = at::empty({static_cast<int64_t>(t.size() * sizeof(segment_view))}, bytes_opts);
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  AT_CUDA_CHECK(cudaMemcpyAsync(table_dev.data_ptr(), t.data(), t.size() * sizeof(segment_view),
                                cudaMemcpyHostToDevice, stream));
  at::Tensor out = at::empty_like(q);
  at::Tensor lse = at::empty({q.size(0), q.size(1), q.size(2)}, q.options().dtype(at::kFloat));
  at::Tensor ws = at::empty({static_cast<int64_t>(attention_workspace_bytes(shape))}, bytes_opts);
  attention_over_segments(shape, q.data_ptr(), static_cast<const segment_view*>(table_dev.data_ptr()), out.data_ptr(),
                          lse.data_ptr<float>(), ws.data_ptr(), ws.numel(), stream);
  // The host table copy must outlive the async memcpy: pageable memcpy is staged before return.
  return {out, lse};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> quantize_pack(const at::Tensor& x, const pack_spec& spec) {
  require(x.is_cuda(), "quantize_pack: x must be a CUDA tensor (got " + x.device().str() + ")");
  require(x.dim() == 3, "quantize_pack: x must be [heads, tokens, channels] (got " + shape_of(x) + ")");
  require(x.is_contiguous(), "quantize_pack: x must be contiguous");
  input_dtype dt;
  switch (x.scalar_type()) {
    case at::kHalf: dt = input_dtype::f16; break;
    case at::kBFloat16: dt = input_dtype::bf16; break;
    case at::kFloat: dt = input_dtype::f32; break;
    default: throw std::invalid_argument(std::string("quantize_pack: unsupported dtype ") + c10::toString(x.scalar_type()));
  }
  const c10::cuda::CUDAGuard guard(x.device());
  const int heads = static_cast<int>(x.size(0)), tokens = static_cast<int>(x.size(1)), channels = static_cast<int>(x.size(2));
  const int64_t rows = spec.per_channel ? channels : tokens;
  const int64_t rw = packed_row_words(spec, tokens, channels), rg = packed_row_groups(spec, tokens, channels);
  const bool with_min = !spec.ternary && !spec.symmetric && !(spec.bits == 1 && spec.sign_meanabs);
  at::Tensor words = at::empty({heads, rows, rw}, x.options().dtype(at::kInt));
  at::Tensor scales = at::empty({heads, rows, rg}, x.options().dtype(at::kShort));
  at::Tensor mins = with_min ? at::empty({heads, rows, rg}, x.options().dtype(at::kShort))
                             : at::empty({0}, x.options().dtype(at::kShort));
  kernels::quantize_pack(spec, x.data_ptr(), dt, heads, tokens, channels, static_cast<int64_t>(tokens) * channels,
                         reinterpret_cast<uint32_t*>(words.data_ptr<int32_t>()),
                         reinterpret_cast<uint16_t*>(scales.data_ptr<int16_t>()),
                         with_min ? reinterpret_cast<uint16_t*>(mins.data_ptr<int16_t>()) : nullptr,
                         at::cuda::getCurrentCUDAStream().stream());
  return {words, scales, mins};
}

}  // namespace wq::kernels::torch_api
