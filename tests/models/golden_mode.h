// The golden model tests run on the CPU in fp32 (CI) and, with WQ_GOLDEN_DEVICE=cuda and
// WQ_GOLDEN_DTYPE=bfloat16 (scripts/gpu_models.sh), on the GPU in bf16. The bound is
// 1e-4 absolute in fp32; in bf16 (8 mantissa bits, errors compounding over the layers) it is
// 5e-2 x max(1, max |reference|), i.e. 5 % of the reference's scale. Greedy continuations
// are compared in full in fp32; in bf16 only the first token (the one the bounded logits
// decide): later tokens follow near-ties that bf16 rounding may flip (seen on Qwen2-VL's
// fixture at step 3).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "vlm/models/qwen2.h"

namespace wq::testing {

inline models::LoadOptions golden_load_options() {
  models::LoadOptions o;
  if (const char* device = std::getenv("WQ_GOLDEN_DEVICE")) o.device = device;
  const char* dtype = std::getenv("WQ_GOLDEN_DTYPE");
  if (dtype && std::string(dtype) == "bfloat16") o.dtype = at::kBFloat16;
  if (dtype && std::string(dtype) == "float16") o.dtype = at::kHalf;
  return o;
}

inline bool golden_reduced_precision() { return golden_load_options().dtype != at::kFloat; }

// Max |actual - reference| (any device and dtype) minus the mode's bound: <= 0 passes.
inline double golden_excess(const at::Tensor& actual, const at::Tensor& reference) {
  const at::Tensor a = actual.to(at::kCPU, at::kFloat), r = reference.to(at::kCPU, at::kFloat);
  const double diff = (a - r).abs().max().item<double>();
  const double bound = golden_reduced_precision() ? 5e-2 * std::max(1.0, r.abs().max().item<double>()) : 1e-4;
  return diff - bound;
}

// Expects the first tokens of `got` to equal `want`: all of them in fp32, the first in bf16.
inline void expect_golden_greedy(const std::vector<std::int64_t>& got, const at::Tensor& want_tensor) {
  const at::Tensor w = want_tensor.to(at::kCPU, at::kLong).contiguous();
  std::vector<std::int64_t> want(w.data_ptr<std::int64_t>(), w.data_ptr<std::int64_t>() + w.numel());
  if (golden_reduced_precision()) {
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.front(), want.front());
  } else {
    EXPECT_EQ(got, want);
  }
}

}  // namespace wq::testing
