// Walsh-Hadamard and FFT along channels. Accumulation is in double: D <= 256, and the point
// of this code is to be the correct reference, not the fast path.
#include "core/quant/transforms.h"

#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace wq::quant {

namespace {

using cd = std::complex<double>;
constexpr double kPi = 3.14159265358979323846;

// In-place iterative radix-2 FFT, n a power of two. sign = -1 forward, +1 inverse
// (unnormalised both ways).
void fft_pow2(std::vector<cd>& a, int sign) {
  const int n = static_cast<int>(a.size());
  for (int i = 1, j = 0; i < n; ++i) {  // bit-reversal permutation
    int bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int len = 2; len <= n; len <<= 1) {
    for (int i = 0; i < n; i += len) {
      for (int k = 0; k < len / 2; ++k) {
        // Twiddles from cos/sin directly (not by repeated multiplication) to keep error flat.
        const double angle = sign * 2.0 * kPi * k / len;
        const cd w(std::cos(angle), std::sin(angle));
        const cd u = a[i + k];
        const cd v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

// Direct DFT for any n (sign as above).
void dft_direct(const std::vector<cd>& in, std::vector<cd>& out, int sign) {
  const int n = static_cast<int>(in.size());
  out.assign(n, cd(0.0, 0.0));
  for (int k = 0; k < n; ++k) {
    cd acc(0.0, 0.0);
    for (int j = 0; j < n; ++j) {
      // (j·k) mod n keeps the angle small, so large products lose no precision.
      const double angle = sign * 2.0 * kPi * static_cast<double>((static_cast<long long>(j) * k) % n) / n;
      acc += in[j] * cd(std::cos(angle), std::sin(angle));
    }
    out[k] = acc;
  }
}

void transform_complex(std::vector<cd>& a, int sign) {
  if (is_power_of_two(static_cast<int>(a.size()))) {
    fft_pow2(a, sign);
  } else {
    std::vector<cd> out;
    dft_direct(a, out, sign);
    a.swap(out);
  }
}

void check_channels(int n, const char* what) {
  if (n < 1) throw std::invalid_argument(std::string(what) + ": channel count must be >= 1");
}

}  // namespace

bool is_power_of_two(int n) { return n > 0 && (n & (n - 1)) == 0; }

void hadamard_inplace(float* x, int n) {
  if (!is_power_of_two(n)) {
    throw std::invalid_argument("hadamard: channel count " + std::to_string(n) +
                                " is not a power of two");
  }
  std::vector<double> a(x, x + n);
  for (int len = 1; len < n; len <<= 1) {
    for (int i = 0; i < n; i += 2 * len) {
      for (int j = i; j < i + len; ++j) {
        const double u = a[j], v = a[j + len];
        a[j] = u + v;
        a[j + len] = u - v;
      }
    }
  }
  const double norm = 1.0 / std::sqrt(static_cast<double>(n));
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(a[i] * norm);
}

void fft_forward(const float* x, int n, float* out) {
  check_channels(n, "fft_forward");
  std::vector<cd> a(n);
  for (int i = 0; i < n; ++i) a[i] = cd(x[i], 0.0);
  transform_complex(a, -1);
  for (int k = 0; k < n; ++k) {
    out[k] = static_cast<float>(a[k].real());
    out[n + k] = static_cast<float>(a[k].imag());
  }
}

void fft_inverse_real(const float* in, int n, float* out) {
  check_channels(n, "fft_inverse_real");
  std::vector<cd> a(n);
  for (int k = 0; k < n; ++k) a[k] = cd(in[k], in[n + k]);
  transform_complex(a, +1);
  for (int j = 0; j < n; ++j) out[j] = static_cast<float>(a[j].real() / n);
}

void dft_naive(const float* x, int n, double* out) {
  check_channels(n, "dft_naive");
  std::vector<cd> in(n), res;
  for (int i = 0; i < n; ++i) in[i] = cd(x[i], 0.0);
  dft_direct(in, res, -1);
  for (int k = 0; k < n; ++k) {
    out[k] = res[k].real();
    out[n + k] = res[k].imag();
  }
}

std::vector<float> apply_transform(Transform transform, const float* x, int tokens, int channels) {
  const size_t d = static_cast<size_t>(channels);
  switch (transform) {
    case Transform::none:
      return std::vector<float>(x, x + static_cast<size_t>(tokens) * d);
    case Transform::hadamard: {
      std::vector<float> y(x, x + static_cast<size_t>(tokens) * d);
      for (int t = 0; t < tokens; ++t) hadamard_inplace(y.data() + t * d, channels);
      return y;
    }
    case Transform::fft_channels: {
      std::vector<float> y(static_cast<size_t>(tokens) * 2 * d);
      for (int t = 0; t < tokens; ++t) fft_forward(x + t * d, channels, y.data() + t * 2 * d);
      return y;
    }
  }
  throw std::invalid_argument("apply_transform: bad transform");
}

std::vector<float> invert_transform(Transform transform, const float* y, int tokens, int channels) {
  const size_t d = static_cast<size_t>(channels);
  switch (transform) {
    case Transform::none:
      return std::vector<float>(y, y + static_cast<size_t>(tokens) * d);
    case Transform::hadamard: {
      // Orthonormal and symmetric: the transform is its own inverse.
      std::vector<float> x(y, y + static_cast<size_t>(tokens) * d);
      for (int t = 0; t < tokens; ++t) hadamard_inplace(x.data() + t * d, channels);
      return x;
    }
    case Transform::fft_channels: {
      std::vector<float> x(static_cast<size_t>(tokens) * d);
      for (int t = 0; t < tokens; ++t) fft_inverse_real(y + t * 2 * d, channels, x.data() + t * d);
      return x;
    }
  }
  throw std::invalid_argument("invert_transform: bad transform");
}

}  // namespace wq::quant
