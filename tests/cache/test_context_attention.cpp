// Packed-context attention (core/cache/context_attention.h): the kernels' reading of every
// layout a method stores, full-precision segments in fp32 and the dequantized fallback, all
// against the reference attention over the same cache; the lse merge; refusal of simulate caches.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "core/cache/context_attention.h"
#include "core/cache/reference_attention.h"
#include "tests/cache/cache_test_util.h"

namespace wq::cache {
namespace {

using quant::GroupAxis;
using quant::QuantBits;
using quant::uniform_spec;
using testing::random_matrix;

// out and lse of the context attention, against reference_attention (no tail: every query
// token sees every stored token) and against an lse computed here from the dequantized keys.
void expect_matches_reference(const KvCache& cache, int q_heads, int q_tokens, AttentionPath path, unsigned seed) {
  const PackedContext context(cache);
  EXPECT_EQ(context.path(), path) << context.dequantized_reason();
  EXPECT_EQ(context.dequantized_reason().empty(), path == AttentionPath::fused);
  for (int l = 0; l < context.layers(); ++l) {
    const LayerCache& layer = cache.layers[size_t(l)];
    const int D = layer.head_dim, group = q_heads / layer.kv_heads();
    const auto q = random_matrix(size_t(q_heads) * q_tokens * D, seed + unsigned(l));
    std::vector<float> out(q.size()), lse(size_t(q_heads) * q_tokens);
    context.attend(l, q.data(), q_heads, q_tokens, out.data(), lse.data());
    AttentionOptions opt;
    opt.causal_tail = false;
    const AttentionOutput ref = reference_attention(q.data(), q_heads, q_tokens, layer, opt);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref.out[i], 2e-5) << "layer " << l << " i " << i;
    std::vector<float> k, v;
    for (int h = 0; h < q_heads; ++h) {
      dequantize_head(layer.heads[size_t(h / group)], D, k, v);
      for (int t = 0; t < q_tokens; ++t) {
        double sum = 0;
        for (size_t j = 0; j < k.size() / size_t(D); ++j) {
          double dot = 0;
          for (int d = 0; d < D; ++d) dot += double(q[(size_t(h) * q_tokens + t) * D + d]) * k[j * D + d];
          sum += std::exp(dot / std::sqrt(double(D)));
        }
        EXPECT_NEAR(lse[size_t(h) * q_tokens + t], std::log(sum), 2e-4);
      }
    }
  }
}

KvCache one_layer_cache(int kv_heads, int T, int D, const LayerPlan& plan, CacheMode mode = CacheMode::packed) {
  const auto k = random_matrix(size_t(kv_heads) * T * D, 71), v = random_matrix(size_t(kv_heads) * T * D, 72);
  KvCache cache;
  cache.mode = mode;
  cache.layers.push_back(build_layer(k.data(), v.data(), kv_heads, T, D, plan, mode));
  return cache;
}

TEST(PackedContext, KernelLayoutsAndFullPrecisionSegmentsMatchTheReference) {
  for (int D : {16, 32, 64, 128}) {
    const int T = 150;
    LayerPlan plan;
    plan.order.resize(T);
    std::iota(plan.order.rbegin(), plan.order.rend(), 0);  // reordered
    // tokens 0..2 stay full precision (text), then 2-bit KIVI layout, a 3-bit piece, a
    // 16-bit passthrough value piece, an interleaved run, full precision at the end.
    plan.pieces.push_back({3, 70, {uniform_spec(QuantBits::b2, 32, GroupAxis::tokens), {}},
                           {uniform_spec(QuantBits::b2, 16, GroupAxis::channels), {}}});
    plan.pieces.push_back({70, 100, {uniform_spec(QuantBits::b3, 32, GroupAxis::tokens), {}},
                           {uniform_spec(QuantBits::b4, 16, GroupAxis::channels), {}}});
    plan.pieces.push_back({100, 120, {uniform_spec(QuantBits::b4, 32, GroupAxis::tokens), {}},
                           {quant::fp16_spec(), {}}});
    plan.interleaved.push_back({120, 126, {QuantBits::b2, QuantBits::b8, QuantBits::b16, QuantBits::b1,
                                           QuantBits::b3, QuantBits::b4}, 16});
    SCOPED_TRACE("head_dim " + std::to_string(D));
    expect_matches_reference(one_layer_cache(2, T, D, plan), 6, 3, AttentionPath::fused, 80);
  }
}

TEST(PackedContext, AllFullPrecisionAndEmptyContexts) {
  expect_matches_reference(one_layer_cache(2, 40, 16, LayerPlan{}), 4, 2, AttentionPath::fused, 90);
  const KvCache empty_cache = one_layer_cache(1, 0, 16, LayerPlan{});
  const PackedContext empty(empty_cache);
  const auto q = random_matrix(2 * 16, 91);
  std::vector<float> out(q.size(), 1.0f), lse(2);
  empty.attend(0, q.data(), 2, 1, out.data(), lse.data());
  for (float x : out) EXPECT_EQ(x, 0.0f);
  for (float x : lse) EXPECT_EQ(x, -std::numeric_limits<float>::infinity());
}

quant::QuantSpec hadamard_spec(QuantBits bits) {
  quant::QuantSpec spec = uniform_spec(bits, 16, GroupAxis::channels);
  spec.transform = quant::Transform::hadamard;
  return spec;
}

TEST(PackedContext, HadamardLayersAreReadInTheRotatedFrame) {
  // AKVQ-VL's layout: rotated 2- and 4-bit tokens around full-precision ones (text, salient
  // tokens), read with a rotated query: the reference's output and lse.
  for (int D : {16, 64}) {
    SCOPED_TRACE("head_dim " + std::to_string(D));
    LayerPlan plan;
    plan.pieces.push_back({4, 40, {hadamard_spec(QuantBits::b2), {}}, {hadamard_spec(QuantBits::b2), {}}});
    plan.pieces.push_back({41, 60, {hadamard_spec(QuantBits::b4), {}}, {hadamard_spec(QuantBits::b2), {}}});
    expect_matches_reference(one_layer_cache(2, 64, D, plan), 4, 2, AttentionPath::fused, 100);
  }
}

// token_mixed's channel-separable keys: interleaved widths (a 16-bit token among them) and
// full-precision tokens stored divided by the head's factors, read with a scaled query.
LayerPlan channel_normalised_plan() {
  LayerPlan plan;
  plan.key_channel_norm = true;
  std::vector<QuantBits> bits;
  for (int t = 4; t < 60; ++t) bits.push_back(t % 7 == 0 ? QuantBits::b16 : t % 3 == 0 ? QuantBits::b4 : QuantBits::b2);
  plan.interleaved.push_back({4, 60, bits, 16});
  return plan;
}

TEST(PackedContext, ChannelNormalisedKeysAreReadWithAScaledQuery) {
  for (int D : {16, 64}) {
    SCOPED_TRACE("head_dim " + std::to_string(D));
    const KvCache cache = one_layer_cache(2, 64, D, channel_normalised_plan());
    ASSERT_EQ(cache.layers[0].heads[0].key_scale.size(), size_t(D));
    expect_matches_reference(cache, 4, 3, AttentionPath::fused, 110);
  }
}

TEST(PackedContext, MixedFramesFftAndChannelPartsAreDequantizedAndSaySo) {
  const int T = 64, D = 16;
  LayerPlan mixed;
  mixed.pieces.push_back({0, 30, {hadamard_spec(QuantBits::b2), {}}, {hadamard_spec(QuantBits::b2), {}}});
  mixed.pieces.push_back({30, 64, {uniform_spec(QuantBits::b2, 16, GroupAxis::channels), {}},
                          {uniform_spec(QuantBits::b2, 16, GroupAxis::channels), {}}});
  const KvCache a = one_layer_cache(2, T, D, mixed);
  expect_matches_reference(a, 2, 2, AttentionPath::dequantized, 100);
  EXPECT_NE(PackedContext(a).dequantized_reason().find("channel frames"), std::string::npos);

  quant::QuantSpec fft = uniform_spec(QuantBits::b2, 16, GroupAxis::channels);
  fft.transform = quant::Transform::fft_channels;
  LayerPlan fourier;
  fourier.pieces.push_back({0, 64, {fft, {}}, {uniform_spec(QuantBits::b2, 16, GroupAxis::channels), {}}});
  const KvCache c = one_layer_cache(1, T, D, fourier);
  expect_matches_reference(c, 2, 1, AttentionPath::dequantized, 105);
  EXPECT_NE(PackedContext(c).dequantized_reason().find("FFT"), std::string::npos);

  TensorPlan split;
  split.parts = {{{0, 5}, uniform_spec(QuantBits::b2, 32, GroupAxis::tokens)},
                 {{1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uniform_spec(QuantBits::b1, 32, GroupAxis::tokens)}};
  LayerPlan parts;
  parts.pieces.push_back({8, 64, split, {uniform_spec(QuantBits::b2, 16, GroupAxis::channels), {}}});
  const KvCache b = one_layer_cache(1, T, D, parts);
  expect_matches_reference(b, 3, 1, AttentionPath::dequantized, 110);
  EXPECT_NE(PackedContext(b).dequantized_reason().find("channel parts"), std::string::npos);
}

TEST(PackedContext, AppendedTailIsAttendedLikeTheReferenceTail) {
  // Context + appended tail, one attention without a mask, against the reference over a
  // cache whose tail holds the same tokens (causal_tail off: every tail token visible); in the
  // plain frame, in the Hadamard one (the tail is rotated as it is appended) and with
  // channel-normalised keys (the tail divided by the factors as it is appended).
  const int H = 2, T = 90, D = 32, Hq = 4, Q = 2, n = 7;
  LayerPlan plain, rotated;
  plain.pieces.push_back({5, 80, {uniform_spec(QuantBits::b2, 32, GroupAxis::tokens), {}},
                          {uniform_spec(QuantBits::b2, 32, GroupAxis::channels), {}}});
  rotated.pieces.push_back({5, 80, {hadamard_spec(QuantBits::b2), {}}, {hadamard_spec(QuantBits::b2), {}}});
  const LayerPlan normalised = channel_normalised_plan();
  for (const LayerPlan* plan : std::initializer_list<const LayerPlan*>{&plain, &rotated, &normalised}) {
    SCOPED_TRACE(plan == &plain ? "plain" : plan == &rotated ? "rotated" : "channel-normalised");
    KvCache cache = one_layer_cache(H, T, D, *plan);
    PackedContext context(cache);
    const auto tk = random_matrix(size_t(H) * n * D, 130), tv = random_matrix(size_t(H) * n * D, 131);
    context.append(0, tk.data(), tv.data(), 3);  // two appends, as a query and a decode step
    std::vector<float> k2, v2;
    for (int h = 0; h < H; ++h) {
      k2.insert(k2.end(), tk.begin() + (h * n + 3) * D, tk.begin() + (h + 1) * n * D);
      v2.insert(v2.end(), tv.begin() + (h * n + 3) * D, tv.begin() + (h + 1) * n * D);
    }
    std::vector<float> k1, v1;
    for (int h = 0; h < H; ++h) {
      k1.insert(k1.end(), tk.begin() + h * n * D, tk.begin() + (h * n + 3) * D);
      v1.insert(v1.end(), tv.begin() + h * n * D, tv.begin() + (h * n + 3) * D);
    }
    PackedContext fresh(cache);
    fresh.append(0, k1.data(), v1.data(), 3);
    fresh.append(0, k2.data(), v2.data(), n - 3);
    EXPECT_EQ(fresh.tail_tokens(0), n);
    append_tail(cache.layers[0], tk.data(), tv.data(), n, T);
    const auto q = random_matrix(size_t(Hq) * Q * D, 132);
    std::vector<float> out(q.size()), lse(size_t(Hq) * Q);
    fresh.attend(0, q.data(), Hq, Q, out.data(), lse.data());
    AttentionOptions opt;
    opt.causal_tail = false;
    const AttentionOutput ref = reference_attention(q.data(), Hq, Q, cache.layers[0], opt);
    for (size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out[i], ref.out[i], 2e-5) << i;
    EXPECT_THROW(context.append(1, tk.data(), tv.data(), 1), std::out_of_range);
  }
}

TEST(PackedContext, RefusesSimulateCachesAndBadShapes) {
  const KvCache simulate = one_layer_cache(1, 8, 16, LayerPlan{}, CacheMode::simulate);
  EXPECT_THROW(PackedContext{simulate}, std::invalid_argument);
  const KvCache cache = one_layer_cache(2, 8, 16, LayerPlan{});
  const PackedContext context(cache);
  std::vector<float> q(3 * 16), out(q.size()), lse(3);
  EXPECT_THROW(context.attend(0, q.data(), 3, 1, out.data(), lse.data()), std::invalid_argument);
  EXPECT_THROW(context.attend(1, q.data(), 2, 1, out.data(), lse.data()), std::out_of_range);
}

TEST(PackedContext, MergeEqualsOneSoftmaxOverBothKeySets) {
  // Two disjoint key sets of one query row: the merged partials equal attention over all.
  const int D = 4, n1 = 3, n2 = 5;
  const auto q = random_matrix(D, 120), k = random_matrix((n1 + n2) * D, 121), v = random_matrix((n1 + n2) * D, 122);
  auto partial = [&](int begin, int end, std::vector<float>& out, float& lse) {
    std::vector<double> w;
    double sum = 0;
    for (int j = begin; j < end; ++j) {
      double dot = 0;
      for (int d = 0; d < D; ++d) dot += q[d] * k[j * D + d];
      w.push_back(std::exp(dot));
      sum += w.back();
    }
    out.assign(D, 0.0f);
    for (int j = begin; j < end; ++j)
      for (int d = 0; d < D; ++d) out[d] += float(w[size_t(j - begin)] / sum * v[j * D + d]);
    lse = float(std::log(sum));
  };
  std::vector<float> a, b, all;
  float la, lb, lall;
  partial(0, n1, a, la);
  partial(n1, n1 + n2, b, lb);
  partial(0, n1 + n2, all, lall);
  merge_partial_attention(a.data(), &la, b.data(), &lb, 1, D);
  for (int d = 0; d < D; ++d) EXPECT_NEAR(a[d], all[d], 1e-6);
  EXPECT_NEAR(la, lall, 1e-6);
  float empty_lse = -std::numeric_limits<float>::infinity();
  std::vector<float> empty(D, 0.0f);
  merge_partial_attention(empty.data(), &empty_lse, all.data(), &lall, 1, D);  // empty part takes the other
  for (int d = 0; d < D; ++d) EXPECT_EQ(empty[d], all[d]);
}

}  // namespace
}  // namespace wq::cache
