// Small device helpers for the attention kernels: tensor-core mma (m16n8k16, fp16 in, fp32
// accumulate), code extraction from packed words, 4-byte cp.async, the hardware exp2 and the
// programmatic-dependent-launch controls.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace wq::kernels::detail {

// Storage ids used as template parameters: the integer bit widths, base-3 ternary and the
// token-interleaved layout (whose width is read per token at run time).
inline constexpr int kFmtBase3 = 9;
inline constexpr int kFmtRuntime = 0;

__device__ __forceinline__ uint32_t as_u32(__half2 h) { return *reinterpret_cast<uint32_t*>(&h); }
__device__ __forceinline__ __half2 as_h2(uint32_t u) { return *reinterpret_cast<__half2*>(&u); }

// 2^x by the hardware unit alone (rel. error ~2^-22; results below 2^-126 flush to 0, as they
// do anyway once P is rounded to fp16). exp2f adds a denormal-safe path: 3 more instructions
// per call, ~50 per 64-token tile in the online softmax.
__device__ __forceinline__ float exp2_approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// Programmatic dependent launch (sm_90): the dependent kernel waits here until the grid it
// depends on has completed and its writes are visible; the primary may let it launch early.
// (Before sm_90 launches stay serialised and both are no-ops.)
__device__ __forceinline__ void wait_for_primary_grid() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_dependent_launch() {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" :::);
#endif
}

// D (16x8 fp32) += A (16x16 fp16, row) * B (16x8 fp16, col). Fragment layout (PTX ISA):
// g = lane / 4, t = lane % 4; a0 = A[g][2t..], a1 = A[g+8][2t..], a2 = A[g][2t+8..],
// a3 = A[g+8][2t+8..]; b0 = B[2t..][g], b1 = B[2t+8..][g]; c0,c1 = C[g][2t..], c2,c3 = C[g+8][2t..].
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                          uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

static __device__ __constant__ uint32_t kPow3[20] = {
    1u,       3u,       9u,        27u,       81u,       243u,       729u,
    2187u,    6561u,    19683u,    59049u,    177147u,   531441u,    1594323u,
    4782969u, 14348907u, 43046721u, 129140163u, 387420489u, 1162261467u};

template <int FMT>
__device__ __forceinline__ constexpr int codes_per_word() {
  return FMT == kFmtBase3 ? 20 : 32 / FMT;
}

// Code `idx` of a packed row (docs/packing.md: slot idx % c of word idx / c, LSB first).
template <int FMT>
__device__ __forceinline__ uint32_t code_at(const uint32_t* row, int idx) {
  if constexpr (FMT == kFmtBase3) {
    return (row[idx / 20] / kPow3[idx % 20]) % 3u;
  } else {
    constexpr int c = 32 / FMT;
    return (row[idx / c] >> (FMT * (idx % c))) & ((1u << FMT) - 1u);
  }
}

// Same with the width known only at run time (token-interleaved rows: 1, 2, 3, 4 or 8 bits).
// This per-token branch is the cost that WindowQuant's reordering removes.
__device__ __forceinline__ uint32_t code_at_runtime(const uint32_t* row, int idx, int bits) {
  if (bits == 3) return (row[idx / 10] >> (3 * (idx % 10))) & 7u;
  const int lg = __ffs(bits) - 1;
  const int bitpos = idx << lg;
  return (row[bitpos >> 5] >> (bitpos & 31)) & ((1u << bits) - 1u);
}

// Two codes (each <= 255) -> half2 holding their exact values: 1024 + code is exact in fp16,
// so OR-ing the code into the mantissa of 1024.0 and subtracting 1024 converts without I2F.
__device__ __forceinline__ uint32_t codes_to_half2(uint32_t lo, uint32_t hi) {
  const uint32_t v = __byte_perm(lo, hi, 0x5410) | 0x64006400u;
  return as_u32(__hsub2(as_h2(v), __half2half2(__ushort_as_half(0x6400))));
}

// Pair of codes at the same index of two rows, for widths that divide 32 (one shift each).
template <int FMT>
__device__ __forceinline__ uint32_t pair_rows(const uint32_t* row0, const uint32_t* row1, int idx) {
  if constexpr (FMT == kFmtBase3 || FMT == 3) {
    return codes_to_half2(code_at<FMT>(row0, idx), code_at<FMT>(row1, idx));
  } else {
    constexpr int c = 32 / FMT;
    constexpr uint32_t mask = ((1u << FMT) - 1u) * 0x00010001u;
    const int w = idx / c, sh = FMT * (idx % c);
    const uint32_t v = __byte_perm(row0[w] >> sh, row1[w] >> sh, 0x5410);
    return as_u32(__hsub2(as_h2((v & mask) | 0x64006400u), __half2half2(__ushort_as_half(0x6400))));
  }
}

__device__ __forceinline__ void cp_async4(void* smem, const void* gmem) {
  const uint32_t s = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(s), "l"(gmem));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
__device__ __forceinline__ void cp_async_wait_all() { asm volatile("cp.async.wait_group 0;\n" ::); }

// fp16 bits of a dense16 element (bf16 converted; the kernels compute in fp16).
__device__ __forceinline__ __half dense_to_half(uint16_t bits, bool bf16) {
  if (bf16) return __float2half_rn(__bfloat162float(__ushort_as_bfloat16(bits)));
  return __ushort_as_half(bits);
}

}  // namespace wq::kernels::detail
