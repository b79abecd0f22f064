// The quotient a / s of the GPU quantize+pack fast path without a division: shared by the kernel
// (quantize_pack_fast.cu) and the CPU test that checks it against IEEE division.
//
// With r = RN(1/s), q0 = RN(a·r) lies within 2 ulp of a/s, and one correction
// q = RN(q0 + RN(a − s·q0)·r) lands within 2^-22 ulp of a/s before its rounding. When s is an
// fp16 value (11-bit significand), a/s is never closer than 2^-12 ulp to a midpoint between two
// floats (a − s·M is a nonzero multiple of the product of the two least significant bits, and a
// midpoint M has 25 significant bits, a only 24), so q == RN(a / s) exactly.
#pragma once

#if defined(__CUDACC__)
#define WQ_HOST_DEVICE __host__ __device__
#else
#define WQ_HOST_DEVICE
#include <cmath>
#endif

namespace wq::kernels {

WQ_HOST_DEVICE inline float quotient_by_reciprocal(float a, float s, float r) {
#if defined(__CUDA_ARCH__)
  const float q0 = __fmul_rn(a, r);
  return __fmaf_rn(__fmaf_rn(-s, q0, a), r, q0);
#else
  const float q0 = a * r;
  return std::fma(std::fma(-s, q0, a), r, q0);
#endif
}

}  // namespace wq::kernels
