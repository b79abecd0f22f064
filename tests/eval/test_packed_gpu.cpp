// cache.mode packed on the GPU (vlm/eval/cuda_packed_kv.cpp): for every method, the cache the
// GPU packs from device K/V and reads with the fused CUDA attention gives the attention (and
// its lse) of the CPU packed cache over the same bf16 values, for one query token (the decode
// kernel) and for several (query prefill), before and after tokens are appended to its tail
// (under KIVI's tail rule some of them move into packed chunks on both sides);
// a fused cache allocates exactly the bytes core/cache accounts (layout mode). Skipped without
// a GPU and the CUDA kernels (CI).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/cache/kv_bits.h"
#include "core/method/kv_method.h"
#include "tests/methods/synthetic.h"
#include "vlm/eval/packed_kv.h"

namespace wq::eval {
namespace {

struct GpuCase {
  const char* name;
  const char* params;
  const char* path;
};

// Budgets every method meets on the synthetic context (head dim 128, no residual): a mix of
// widths, not a floor plan (PackedGpuCases checks it on any machine).
const GpuCase kCases[] = {
    {"fp16", "{}", "fused"},
    {"uniform", "{bits: 2}", "fused"},
    {"uniform", "{bits: 3}", "fused"},
    {"uniform", "{bits: 4, key_axis: token, key_group_size: 32}", "fused"},
    {"kivi", "{bits: 2, group_size: 32, residual: 32}", "fused"},
    {"token_mixed", "{bits: [4, 2, 1], budget_bits: 3.0, residual: 0}", "fused"},
    {"token_mixed", "{bits: [4, 2, 1], budget_bits: 3.0, residual: 0, keys: per_token}", "fused"},
    {"windowquant", "{bits: [4, 2, 1], budget_bits: 3.0, residual: 0}", "fused"},
    {"windowquant", "{bits: [4, 2], budget_bits: 3.5, reorder: false, residual: 0}", "fused"},
    {"akvq_vl", "{bits: 2}", "fused"},
    {"vidkv", "{key_bits: 1.5}", "dequantized"},
};

methods::testing::Synthetic synthetic() { return methods::testing::make_synthetic(7, 2, 4, 128); }

TEST(PackedGpuCases, EveryCasePlansWithinItsBudgetOnTheCpu) {
  const methods::testing::Synthetic s = synthetic();
  for (const GpuCase& c : kCases) {
    SCOPED_TRACE(std::string(c.name) + " " + c.params);
    auto method = methods::make_method(c.name, std::string(c.params));
    EXPECT_NO_THROW(method->plan(s.kv, s.ctx));
  }
}

TEST(PackedGpu, FusedAttentionMatchesTheCpuPackedCache) {
  if (!torch::cuda::is_available() || !cuda_packed_kv_available())
    GTEST_SKIP() << "needs a CUDA GPU and a build with the CUDA kernels";
  torch::NoGradGuard no_grad;
  methods::testing::Synthetic s = synthetic();
  // Both sides must pack the same values: the model's K/V are bf16.
  for (auto* x : {&s.kv.k, &s.kv.v}) {
    at::Tensor t = torch::from_blob(x->data(), {static_cast<int64_t>(x->size())}, at::kFloat);
    t.copy_(t.to(at::kBFloat16).to(at::kFloat));
  }
  models::KVLayers device;
  const auto T = s.kv.tokens, H = s.kv.kv_heads, D = s.kv.head_dim;
  for (int l = 0; l < s.kv.layers; ++l) {
    auto as_device = [&](const float* p) {
      return torch::from_blob(const_cast<float*>(p), {1, H, T, D}, at::kFloat).to(at::kCUDA, at::kBFloat16);
    };
    device.push_back({as_device(s.kv.k_head(l, 0)), as_device(s.kv.v_head(l, 0))});
  }
  torch::manual_seed(11);
  for (const GpuCase& c : kCases) {
    SCOPED_TRACE(std::string(c.name) + " " + c.params);
    auto method = methods::make_method(c.name, std::string(c.params));
    const cache::Plan plan = method->plan(s.kv, s.ctx);
    const cache::KvCache packed = cache::build_cache(s.kv, plan, cache::CacheMode::packed);
    const cache::KvCache layout = cache::build_cache(s.kv, plan, cache::CacheMode::layout);
    const auto gpu = cuda_packed_kv(device, plan, s.kv);
    const auto cpu = cpu_packed_kv(packed, plan.tail);
    EXPECT_EQ(gpu->attention_path(), c.path) << gpu->dequantized_reason();
    const bool fused = std::string(c.path) == "fused";
    if (fused) {
      // The device holds what core/cache accounts, less the per-head side data a method
      // charges but attention never reads (WindowQuant's reorder index).
      double side_bytes = 0;
      for (const cache::LayerCache& layer : layout.layers) side_bytes += layer.side_bits_per_head * layer.kv_heads() / 8;
      EXPECT_EQ(gpu->allocated_bytes() + side_bytes, cache::cache_bytes(layout).stored);
    }
    // A dequantized layer is kept at 16 bits (bf16) on the device, the CPU path in fp32. A
    // Hadamard layer is packed from the same fp32 rotation on both sides; its query, output
    // and full-precision tokens pass through bf16 on the device only.
    const double bound = fused ? 3e-2 : 8e-2;
    const auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(at::kCUDA);
    // The context alone, then with a tail appended: a few tokens, then enough to outgrow the
    // tail's first buffer, then one step and a few more (KIVI's tail rule packs chunks of it
    // at 300, 30 and not at the single step).
    for (int64_t appended : {0, 3, 300, 1, 30})
      for (int l = 0; l < s.kv.layers; ++l) {
        if (appended) {
          const at::Tensor k = torch::randn({1, H, appended, D}, bf16), v = torch::randn({1, H, appended, D}, bf16);
          gpu->append(l, k, v);
          cpu->append(l, k, v);
        }
        for (int64_t q_tokens : {1, 5}) {
          const at::Tensor q = torch::randn({1, 2 * H, q_tokens, D}, bf16);
          const auto [out_gpu, lse_gpu] = gpu->attend(l, q);
          const auto [out_cpu, lse_cpu] = cpu->attend(l, q.to(at::kCPU, at::kFloat));
          EXPECT_LT((out_gpu.to(at::kCPU, at::kFloat) - out_cpu).abs().max().item<double>(), bound)
              << "layer " << l << ", " << appended << " appended, " << q_tokens << " query tokens";
          EXPECT_LT((lse_gpu.to(at::kCPU) - lse_cpu).abs().max().item<double>(), bound)
              << "layer " << l << ", " << appended << " appended, " << q_tokens << " query tokens";
        }
      }
  }
}

}  // namespace
}  // namespace wq::eval
