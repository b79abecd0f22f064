// Channel-axis transforms used before quantization: orthonormal Walsh-Hadamard and complex
// FFT. All functions act on one token's channel vector; matrix helpers loop over tokens.
#pragma once

#include <cstddef>
#include <vector>

#include "core/quant/quant_spec.h"

namespace wq::quant {

bool is_power_of_two(int n);

// In-place orthonormal fast Walsh-Hadamard transform of x[0..n), n a power of two
// (throws std::invalid_argument "hadamard: channel count 96 is not a power of two").
// Sylvester (natural) ordering, scaled by 1/sqrt(n): H·H = I, so it is its own inverse and
// q·k is preserved when both are rotated.
void hadamard_inplace(float* x, int n);

// Forward complex DFT of n real inputs, unnormalised (torch.fft.fft default):
// X_k = Σ_j x_j e^{-2πi jk/n}. out: 2n floats, [Re X_0..Re X_{n-1}, Im X_0..Im X_{n-1}].
// Radix-2 iterative FFT for powers of two, direct O(n²) DFT (double accumulation) otherwise.
void fft_forward(const float* x, int n, float* out);
// Inverse: in = 2n floats laid out as above; out[j] = Re( (1/n) Σ_k X_k e^{+2πi jk/n} )
// (torch.fft.ifft(...).real).
void fft_inverse_real(const float* in, int n, float* out);
// Reference O(n²) DFT in double precision, same output layout as fft_forward (for tests).
void dft_naive(const float* x, int n, double* out);

// Matrix forms: x [tokens][channels] fp32 row-major -> [tokens][stored_channels(spec, D)].
std::vector<float> apply_transform(Transform transform, const float* x, int tokens, int channels);
// y [tokens][stored_channels] -> [tokens][channels].
std::vector<float> invert_transform(Transform transform, const float* y, int tokens, int channels);

}  // namespace wq::quant
