// Packed mode on the CPU: the model's attention reads the packed cache through core/cache's
// PackedContext (packed_kv.h).
#include <torch/torch.h>

#include "core/cache/context_attention.h"
#include "vlm/eval/packed_kv.h"

namespace wq::eval {
namespace {

// Bytes the packed cache holds in memory: packed arrays as allocated, full-precision values
// as the fp32 they are kept in.
double held_bytes(const cache::KvCache& cache) {
  double bytes = 0;
  auto tensor_bytes = [](const cache::SegmentTensor& t) {
    double b = 4.0 * t.values.size();
    for (const cache::TensorPart& p : t.parts) b += static_cast<double>(p.packed.total_bytes());
    const cache::InterleavedTensor& i = t.interleaved;
    b += 4.0 * i.words.size() + 2.0 * (i.scales.size() + i.mins.size()) + static_cast<double>(i.side_bytes());
    return b;
  };
  for (const cache::LayerCache& layer : cache.layers)
    for (const cache::HeadCache& head : layer.heads)
      for (const cache::Segment& seg : head.segments) bytes += tensor_bytes(seg.key) + tensor_bytes(seg.value);
  return bytes;
}

class CpuPackedKv : public PackedKv {
 public:
  CpuPackedKv(const cache::KvCache& packed, const cache::TailRule& tail_rule)
      : context_(packed, tail_rule), bytes_(held_bytes(packed)) {}

  std::pair<at::Tensor, at::Tensor> attend(std::int64_t layer, const at::Tensor& q) const override {
    const auto heads = q.size(1), tokens = q.size(2), dim = q.size(3);
    const at::Tensor q_host = q[0].to(at::kCPU, at::kFloat).contiguous();
    at::Tensor out = torch::empty({1, heads, tokens, dim}, q_host.options());
    at::Tensor lse = torch::empty({1, heads, tokens}, q_host.options());
    context_.attend(static_cast<int>(layer), q_host.data_ptr<float>(), static_cast<int>(heads),
                    static_cast<int>(tokens), out.data_ptr<float>(), lse.data_ptr<float>());
    return {out.to(q.device()), lse.to(q.device())};
  }
  void append(std::int64_t layer, const at::Tensor& k, const at::Tensor& v) override {
    const at::Tensor k_host = k[0].to(at::kCPU, at::kFloat).contiguous(), v_host = v[0].to(at::kCPU, at::kFloat).contiguous();
    context_.append(static_cast<int>(layer), k_host.data_ptr<float>(), v_host.data_ptr<float>(),
                    static_cast<int>(k_host.size(1)));
  }
  std::string attention_path() const override { return cache::attention_path_name(context_.path()); }
  std::string dequantized_reason() const override { return context_.dequantized_reason(); }
  double allocated_bytes() const override { return bytes_; }

 private:
  cache::PackedContext context_;
  double bytes_;
};

}  // namespace

std::unique_ptr<PackedKv> cpu_packed_kv(const cache::KvCache& packed, const cache::TailRule& tail_rule) {
  return std::make_unique<CpuPackedKv>(packed, tail_rule);
}

}  // namespace wq::eval
