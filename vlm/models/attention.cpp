// Math and fused attention (see attention.h).
#include "vlm/models/attention.h"

#include <torch/version.h>

#include <limits>
#include <optional>
#include <vector>

// aten::scaled_dot_product_attention arrived in 2.0 and its enable_gqa flag in 2.5; we build
// the fused path from 2.5 on and keep the math path below it (Debian's 1.13 included).
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5)
#define WQ_FUSED_ATTENTION 1
#endif

namespace wq::models {
namespace {

// Queries per attention chunk: bounds the [heads, chunk, keys] score matrix for long videos.
constexpr std::int64_t kQueryChunk = 1024;

#ifdef WQ_FUSED_ATTENTION
at::Tensor fused_causal(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                        std::int64_t past) {
  const auto B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3);
  const auto Hkv = k.size(1), S = k.size(2), groups = Hq / Hkv;
  TORCH_CHECK(S == past + T, "causal_attention: ", S, " keys for past ", past, " + ", T, " queries");
  // SDPA's is_causal aligns its mask top-left (query i sees keys 0..i), which is our mask only
  // when there is no past. A single query after a past sees every key: no mask at all. Both
  // reach the flash kernel, which reads grouped heads in place (enable_gqa).
  if (past == 0 || T == 1)
    return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                            /*is_causal=*/past == 0 && T > 1,
                                            /*scale=*/std::nullopt, /*enable_gqa=*/true);
  // Several queries after a past (the query prefill): a bottom-right-aligned boolean mask
  // (true = attend). Flash takes no mask and the memory-efficient kernel no grouped heads,
  // so the group is folded into the query axis (rows g * T + t) as the math path does, which
  // keeps K/V unrepeated and lets the memory-efficient kernel take it.
  const auto index = torch::TensorOptions().dtype(at::kLong).device(q.device());
  const at::Tensor query_index = torch::arange(past, past + T, index).repeat({groups}).unsqueeze(1);
  const at::Tensor attend = torch::arange(S, index).unsqueeze(0) <= query_index;  // [g*T, S]
  return at::scaled_dot_product_attention(q.reshape({B, Hkv, groups * T, D}), k, v, attend)
      .reshape({B, Hq, T, D});
}
#endif

}  // namespace

at::Tensor causal_attention_reference(const at::Tensor& q, const at::Tensor& k,
                                      const at::Tensor& v, std::int64_t past, at::Tensor* lse) {
  // Grouped-query heads are handled by folding the group into the token axis instead of
  // repeating K/V (same maths as transformers' repeat_kv).
  const auto B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3);
  const auto Hkv = k.size(1), S = k.size(2), groups = Hq / Hkv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  const auto key_index = torch::arange(S, torch::TensorOptions().dtype(at::kLong).device(q.device()));
  std::vector<at::Tensor> outputs, lses;
  for (std::int64_t t0 = 0; t0 < T; t0 += kQueryChunk) {
    const auto t1 = std::min(T, t0 + kQueryChunk), n = t1 - t0;
    at::Tensor qc = q.slice(2, t0, t1).reshape({B, Hkv, groups * n, D});
    at::Tensor scores = torch::matmul(qc, k.transpose(-1, -2)) * scale;  // [B,Hkv,g*n,S]
    scores = scores.view({B, Hkv, groups, n, S});
    const auto query_index =
        torch::arange(past + t0, past + t1, key_index.options()).unsqueeze(1);
    const auto masked = key_index.unsqueeze(0) > query_index;  // [n, S]: future keys
    scores = scores.masked_fill(masked, -std::numeric_limits<float>::infinity());
    const at::Tensor scores_fp32 = scores.to(at::kFloat);
    if (lse) lses.push_back(torch::logsumexp(scores_fp32, -1));  // [B, Hkv, groups, n]
    at::Tensor probs = torch::softmax(scores_fp32, -1).to(q.scalar_type());
    outputs.push_back(torch::matmul(probs.view({B, Hkv, groups * n, S}), v)
                          .view({B, Hkv, groups, n, D}));
  }
  at::Tensor out = outputs.size() == 1 ? outputs[0] : torch::cat(outputs, 3);
  if (lse) *lse = (lses.size() == 1 ? lses[0] : torch::cat(lses, 3)).reshape({B, Hq, T});
  return out.reshape({B, Hq, T, D});
}

at::Tensor causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            std::int64_t past, at::Tensor* lse) {
#ifdef WQ_FUSED_ATTENTION
  if (!lse) return fused_causal(q, k, v, past);
#endif
  return causal_attention_reference(q, k, v, past, lse);
}

at::Tensor full_attention_reference(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor probs = torch::softmax((torch::matmul(q, k.transpose(-1, -2)) * scale).to(at::kFloat), -1)
                         .to(q.scalar_type());
  return torch::matmul(probs, v);
}

at::Tensor full_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
#ifdef WQ_FUSED_ATTENTION
  return at::scaled_dot_product_attention(q, k, v);
#else
  return full_attention_reference(q, k, v);
#endif
}

const char* attention_backend() {
#ifdef WQ_FUSED_ATTENTION
  return "sdpa";
#else
  return "math";
#endif
}

}  // namespace wq::models
