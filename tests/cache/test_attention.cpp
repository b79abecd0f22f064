// Reference attention: GQA against a hand loop, permutation invariance, causal tail,
// simulate == packed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/cache/kv_bits.h"
#include "core/cache/reference_attention.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::GroupAxis;
using quant::uniform_spec;
using testing::random_matrix;

TEST(Attention, GqaMatchesHandLoop) {
  const int Hq = 4, Hkv = 2, Q = 3, N = 5, D = 4;
  const auto q = random_matrix(Hq * Q * D, 40), k = random_matrix(Hkv * N * D, 41),
             v = random_matrix(Hkv * N * D, 42);
  AttentionOptions opt;
  opt.causal_tail = false;
  const AttentionOutput out = dense_attention(q.data(), Hq, Q, k.data(), v.data(), Hkv, N, 0, D, opt);
  for (int h = 0; h < Hq; ++h) {
    const int kvh = h / 2;
    for (int i = 0; i < Q; ++i) {
      std::vector<double> w(N);
      double sum = 0;
      for (int j = 0; j < N; ++j) {
        double dot = 0;
        for (int c = 0; c < D; ++c) dot += q[(h * Q + i) * D + c] * k[(kvh * N + j) * D + c];
        sum += w[j] = std::exp(dot / 2.0);  // 1/sqrt(4)
      }
      for (int c = 0; c < D; ++c) {
        double o = 0;
        for (int j = 0; j < N; ++j) o += w[j] / sum * v[(kvh * N + j) * D + c];
        EXPECT_NEAR(out.out[(h * Q + i) * D + c], o, 1e-6);
      }
    }
  }
  EXPECT_THROW(dense_attention(q.data(), 3, 1, k.data(), v.data(), 2, N, 0, D, opt), std::invalid_argument);
}

LayerCache make_layer(const std::vector<float>& k, const std::vector<float>& v, int H, int T, int D,
                      const LayerPlan& plan, CacheMode mode) {
  return build_layer(k.data(), v.data(), H, T, D, plan, mode);
}

TEST(Attention, InvariantToPermutationOfCachedTokens) {
  const int H = 2, T = 48, D = 16, Hq = 4, Q = 3;
  const auto k = random_matrix(H * T * D, 43), v = random_matrix(H * T * D, 44),
             q = random_matrix(Hq * Q * D, 45);
  LayerPlan identity;
  LayerPlan permuted;
  permuted.order.resize(T);
  std::iota(permuted.order.begin(), permuted.order.end(), 0);
  std::mt19937 rng(46);
  std::shuffle(permuted.order.begin(), permuted.order.end(), rng);
  AttentionOptions opt;
  opt.causal_tail = false;
  opt.return_probs = true;
  const auto a = reference_attention(q.data(), Hq, Q, make_layer(k, v, H, T, D, identity, CacheMode::packed), opt);
  const auto b = reference_attention(q.data(), Hq, Q, make_layer(k, v, H, T, D, permuted, CacheMode::packed), opt);
  for (size_t i = 0; i < a.out.size(); ++i) EXPECT_NEAR(a.out[i], b.out[i], 1e-6);
  for (int r = 0; r < Hq * Q; ++r)
    for (int s = 0; s < T; ++s) EXPECT_NEAR(b.probs[r * T + s], a.probs[r * T + permuted.order[s]], 1e-7);
  // Per-token (value-style) quantization of every token is also order-independent.
  const QuantSpec tok = uniform_spec(QuantBits::b4, 8, GroupAxis::channels);
  identity.pieces.push_back({0, T, {tok, {}}, {tok, {}}});
  permuted.pieces = identity.pieces;
  const auto c = reference_attention(q.data(), Hq, Q, make_layer(k, v, H, T, D, identity, CacheMode::packed), opt);
  const auto d = reference_attention(q.data(), Hq, Q, make_layer(k, v, H, T, D, permuted, CacheMode::simulate), opt);
  for (size_t i = 0; i < c.out.size(); ++i) EXPECT_NEAR(c.out[i], d.out[i], 1e-6);
}

TEST(Attention, CausalTail) {
  const int H = 1, T = 6, D = 8, Q = 2;
  const auto k = random_matrix(T * D, 47), v = random_matrix(T * D, 48), q = random_matrix(Q * D, 49);
  LayerCache layer = make_layer(k, v, H, T, D, LayerPlan{}, CacheMode::packed);
  const auto tk = random_matrix(Q * D, 50), tv = random_matrix(Q * D, 51);
  append_tail(layer, tk.data(), tv.data(), Q, T);
  AttentionOptions opt;
  opt.return_probs = true;
  const auto out = reference_attention(q.data(), 1, Q, layer, opt);
  ASSERT_EQ(out.keys, T + Q);
  EXPECT_EQ(out.probs[0 * (T + Q) + T + 1], 0.0f);  // query 0 cannot see tail token 1
  EXPECT_GT(out.probs[1 * (T + Q) + T + 1], 0.0f);  // query 1 sees itself
  for (int i = 0; i < Q; ++i) {
    double sum = 0;
    for (int j = 0; j < T + Q; ++j) sum += out.probs[i * (T + Q) + j];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  opt.causal_tail = true;
  EXPECT_THROW(reference_attention(q.data(), 1, 3, layer, opt), std::invalid_argument);
}

TEST(Attention, SimulateEqualsPacked) {
  const int H = 2, T = 70, D = 16, Hq = 4, Q = 2;
  const auto k = random_matrix(H * T * D, 52), v = random_matrix(H * T * D, 53),
             q = random_matrix(Hq * Q * D, 54);
  QuantSpec fft1 = uniform_spec(QuantBits::b1, 32, GroupAxis::tokens);
  fft1.transform = quant::Transform::fft_channels;
  fft1.one_bit_rule = quant::OneBitRule::sign_meanabs;
  QuantSpec tern = uniform_spec(QuantBits::b1_58, 32, GroupAxis::tokens);
  tern.ternary_storage = quant::TernaryStorage::base3;
  QuantSpec had = uniform_spec(QuantBits::b2, 16, GroupAxis::channels);
  had.transform = quant::Transform::hadamard;
  TensorPlan split;
  split.parts = {{{0, 5}, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens)},
                 {{1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, fft1}};
  LayerPlan plan;
  plan.order.resize(T);
  std::iota(plan.order.rbegin(), plan.order.rend(), 0);  // reversed
  plan.pieces.push_back({4, 30, {uniform_spec(QuantBits::b3, 32, GroupAxis::tokens), {}},  // partial group
                         {uniform_spec(QuantBits::b4, 8, GroupAxis::channels, true), {}}});
  plan.pieces.push_back({30, 50, split, {tern, {}}});
  plan.pieces.push_back({50, 58, {had, {}}, {had, {}}});
  plan.interleaved.push_back({60, 66, {QuantBits::b2, QuantBits::b8, QuantBits::b16, QuantBits::b1,
                                       QuantBits::b3, QuantBits::b4}, 8});
  LayerCache sim = make_layer(k, v, H, T, D, plan, CacheMode::simulate);
  LayerCache packed = make_layer(k, v, H, T, D, plan, CacheMode::packed);
  const auto tk = random_matrix(H * Q * D, 55), tv = random_matrix(H * Q * D, 56);
  append_tail(sim, tk.data(), tv.data(), Q, T);
  append_tail(packed, tk.data(), tv.data(), Q, T);
  const auto a = reference_attention(q.data(), Hq, Q, sim);
  const auto b = reference_attention(q.data(), Hq, Q, packed);
  for (size_t i = 0; i < a.out.size(); ++i) EXPECT_NEAR(a.out[i], b.out[i], 1e-6) << i;
  EXPECT_EQ(kv_bits(sim).effective(), kv_bits(packed).effective());  // same accounting
}

}  // namespace
}  // namespace wq::cache
