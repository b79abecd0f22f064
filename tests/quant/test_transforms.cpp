// Walsh-Hadamard orthonormality/inverse and FFT against a naive DFT.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/quant/transforms.h"

namespace wq::quant {
namespace {

std::vector<float> random_vector(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = dist(rng);
  return x;
}

TEST(Hadamard, ColumnsAreOrthonormal) {
  for (int n : {1, 2, 8, 64, 128}) {
    // Column j of H is H·e_j; Gram matrix must be the identity.
    std::vector<std::vector<float>> cols(n, std::vector<float>(n, 0.0f));
    for (int j = 0; j < n; ++j) {
      cols[j][j] = 1.0f;
      hadamard_inplace(cols[j].data(), n);
    }
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < n; ++b) {
        double dot = 0.0;
        for (int i = 0; i < n; ++i) dot += cols[a][i] * cols[b][i];
        ASSERT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-6) << n << " " << a << " " << b;
      }
    }
  }
}

TEST(Hadamard, KnownSmallMatrixAndSelfInverse) {
  std::vector<float> x{1.0f, 2.0f, 3.0f, 4.0f};
  hadamard_inplace(x.data(), 4);
  // H4 (Sylvester) · [1,2,3,4] / 2 = [10, -2, -4, 0] / 2
  EXPECT_NEAR(x[0], 5.0f, 1e-6);
  EXPECT_NEAR(x[1], -1.0f, 1e-6);
  EXPECT_NEAR(x[2], -2.0f, 1e-6);
  EXPECT_NEAR(x[3], 0.0f, 1e-6);
  const auto orig = random_vector(128, 3);
  auto y = orig;
  hadamard_inplace(y.data(), 128);
  hadamard_inplace(y.data(), 128);
  for (int i = 0; i < 128; ++i) EXPECT_NEAR(y[i], orig[i], 1e-5);
}

TEST(Hadamard, PreservesDotProducts) {
  auto q = random_vector(64, 5), k = random_vector(64, 6);
  double before = 0.0;
  for (int i = 0; i < 64; ++i) before += q[i] * k[i];
  hadamard_inplace(q.data(), 64);
  hadamard_inplace(k.data(), 64);
  double after = 0.0;
  for (int i = 0; i < 64; ++i) after += q[i] * k[i];
  EXPECT_NEAR(before, after, 1e-4);
}

TEST(Hadamard, NonPowerOfTwoIsAnError) {
  std::vector<float> x(96, 0.0f);
  try {
    hadamard_inplace(x.data(), 96);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("96"), std::string::npos);
  }
}

TEST(Fft, MatchesNaiveDft) {
  for (int n : {1, 2, 8, 12, 64, 96, 128, 256}) {
    const auto x = random_vector(n, 100 + n);
    std::vector<float> fast(2 * n);
    std::vector<double> ref(2 * n);
    fft_forward(x.data(), n, fast.data());
    dft_naive(x.data(), n, ref.data());
    for (int i = 0; i < 2 * n; ++i) ASSERT_NEAR(fast[i], ref[i], 1e-4 * std::sqrt(n)) << n << " " << i;
  }
}

TEST(Fft, KnownTransformOfImpulseAndConstant) {
  std::vector<float> impulse{0, 1, 0, 0}, out(8);
  fft_forward(impulse.data(), 4, out.data());
  // X_k = e^{-2πik/4}: 1, -i, -1, i
  const float expected[8] = {1, 0, -1, 0, 0, -1, 0, 1};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(out[i], expected[i], 1e-6);
}

TEST(Fft, InverseRecoversInput) {
  for (int n : {8, 12, 128}) {
    const auto x = random_vector(n, 200 + n);
    const auto y = apply_transform(Transform::fft_channels, x.data(), 1, n);
    ASSERT_EQ(y.size(), static_cast<size_t>(2 * n));
    const auto back = invert_transform(Transform::fft_channels, y.data(), 1, n);
    for (int i = 0; i < n; ++i) EXPECT_NEAR(back[i], x[i], 1e-5) << n;
  }
}

}  // namespace
}  // namespace wq::quant
