// CPU kernel tests: the vectorised CPU attention and the scalar view readers against
// core/quant (dequantize) and core/cache (dense_attention), over a declarative list of cases;
// the head_dim dispatcher; segment-table tiling with empty segments.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/cache/interleaved.h"
#include "core/cache/kernel_views.h"
#include "core/cache/reference_attention.h"
#include "core/quant/half.h"
#include "core/quant/quantize.h"
#include "kernels/cpu/cpu_attention.h"
#include "kernels/cpu/reference_attention.h"
#include "kernels/cpu/view_dequant.h"
#include "kernels/dispatch.h"

namespace wq::kernels {
namespace {

namespace q = wq::quant;
using cache::dense_view;  // core/cache adapters from core types to kernel views
using cache::view_of;

std::vector<float> random_fp16_values(std::mt19937& rng, size_t n, int channels) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    float v = nd(rng);
    if ((i % channels) % 13 == 5) v = 6.0f * v + 1.5f;  // outlier channels
    x[i] = q::round_to_half(v);
  }
  return x;
}

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return NAN;
    num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(num / (den > 0 ? den : 1));
}

TEST(KernelDispatch, HeadDimDispatchesAndRejects) {
  EXPECT_EQ(dispatch_head_dim(64, [](auto d) { return decltype(d)::value; }), 64);
  EXPECT_EQ(dispatch_head_dim(128, [](auto d) { return decltype(d)::value; }), 128);
  try {
    dispatch_head_dim(96, [](auto d) { return decltype(d)::value; });
    FAIL() << "no exception for head_dim 96";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unsupported head_dim: 96");
  }
}

TEST(KernelTable, TilesSkipEmptySegments) {
  std::vector<segment_view> t(6);
  const int tokens[] = {1, 0, 64, 65, 0, 130};  // batch 2 x 3 segments
  for (int i = 0; i < 6; ++i) t[i].tokens = tokens[i];
  // seq 0: 1 + 0 + 1 = 2 tiles; seq 1: 2 + 0 + 3 = 5 tiles (64-token tiles per segment).
  EXPECT_EQ(finalize_segment_table(t.data(), 2, 3), 5);
  EXPECT_EQ(t[1].tile_begin, 1);
  EXPECT_EQ(t[2].tile_begin, 1);
  EXPECT_EQ(t[4].tile_begin, 2);
  EXPECT_EQ(t[5].tile_begin, 2);
}

// A dense16 segment (16-byte aligned rows and heads) over `words`.
void make_dense_tail(segment_view& seg, const uint32_t* words) {
  for (tensor_view* tv : {&seg.key, &seg.value}) {
    tv->format = tensor_format::dense16;
    tv->storage_bits = 16;
    tv->words = words;
    tv->head_stride_words = 8;
  }
}

// The decode kernel reads dense16 rows 16 bytes at a time: an unaligned row or head stride
// must send the table to the general kernel, packed formats decide as before.
TEST(KernelTable, ClassifyNeedsAlignedDenseRows) {
  alignas(16) static uint32_t words[64];
  std::vector<segment_view> t(2);
  t[0].tokens = t[1].tokens = 8;
  for (tensor_view* tv : {&t[0].key, &t[0].value}) {
    tv->format = tensor_format::packed;
    tv->storage_bits = 2;
    tv->group_size = 32;
    tv->words = words;
  }
  t[0].key.axis = group_axis::tokens;
  t[0].value.axis = group_axis::channels;
  make_dense_tail(t[1], words);
  EXPECT_EQ(classify_table(t.data(), 2), 1);
  t[1].value.words = words + 1;  // 4-byte aligned only
  EXPECT_EQ(classify_table(t.data(), 2), 0);
  t[1].value.words = words;
  t[1].key.head_stride_words = 6;  // second head 8 bytes off
  EXPECT_EQ(classify_table(t.data(), 2), 0);
  t[1].key.head_stride_words = 8;
  t[0].key.storage_bits = 3;
  EXPECT_EQ(classify_table(t.data(), 2), 0);
}

// Token-interleaved segments take the decode kernel's interleaved instantiation (2) when both
// of their tensors are interleaved, whatever else the table holds decides as before.
TEST(KernelTable, ClassifyInterleavedSegments) {
  alignas(16) static uint32_t words[64];
  std::vector<segment_view> t(2);
  t[0].tokens = t[1].tokens = 8;
  t[0].key.format = t[0].value.format = tensor_format::interleaved;
  make_dense_tail(t[1], words);
  EXPECT_EQ(classify_table(t.data(), 2), 2);
  t[1].value.words = words + 1;  // an unaligned tail still needs the general kernel
  EXPECT_EQ(classify_table(t.data(), 2), 0);
  t[1].value.words = words;
  t[0].value.format = tensor_format::dense16;  // only the keys interleaved
  t[0].value.words = words;
  EXPECT_EQ(classify_table(t.data(), 2), 0);
}

struct spec_case {
  const char* name;
  q::QuantSpec spec;
};

std::vector<spec_case> spec_cases() {
  std::vector<spec_case> c;
  for (q::QuantBits b : {q::QuantBits::b1, q::QuantBits::b2, q::QuantBits::b3, q::QuantBits::b4, q::QuantBits::b8}) {
    c.push_back({"per-channel", q::uniform_spec(b, 32, q::GroupAxis::tokens)});
    c.push_back({"per-token", q::uniform_spec(b, 32, q::GroupAxis::channels)});
    if (b != q::QuantBits::b1) c.push_back({"sym per-token", q::uniform_spec(b, 16, q::GroupAxis::channels, true)});
  }
  q::QuantSpec t = q::uniform_spec(q::QuantBits::b1_58, 32, q::GroupAxis::tokens);
  c.push_back({"ternary slots", t});
  t.ternary_storage = q::TernaryStorage::base3;
  c.push_back({"ternary base3", t});
  q::QuantSpec s = q::uniform_spec(q::QuantBits::b1, 32, q::GroupAxis::tokens);
  s.one_bit_rule = q::OneBitRule::sign_meanabs;
  c.push_back({"1-bit sign", s});
  return c;
}

TEST(KernelViews, DequantizeMatchesCoreQuant) {
  std::mt19937 rng(1);
  for (const auto& sc : spec_cases()) {
    for (int T : {1, 19, 301}) {
      const int D = 64;
      const auto x = random_fp16_values(rng, static_cast<size_t>(T) * D, D);
      q::QuantizeOptions opt;
      opt.allow_partial_token_group = true;
      const q::QTensor qt = q::quantize(x.data(), T, D, sc.spec, opt);
      const auto ref = q::dequantize(qt);
      std::vector<float> mine(ref.size());
      cpu::dequantize_tensor(view_of(qt), T, D, 0, mine.data());
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_NEAR(mine[i], ref[i], 1e-6f * (1.0f + std::fabs(ref[i]))) << sc.name << " " << q::to_string(sc.spec)
                                                                            << " T=" << T << " i=" << i;
    }
  }
}

// One head per (segment, tensor), batch 1: a WindowQuant-like mix of widths, an empty
// segment, a one-token segment, interleaved widths and a dense tail.
struct built_layer {
  std::vector<q::QTensor> packed;
  std::vector<cache::InterleavedTensor> inter;
  std::vector<std::vector<uint16_t>> dense;
  std::vector<segment_view> table;
  std::vector<float> k, v;  // dequantized reference values [T][D]
};

void add_packed(built_layer& L, std::mt19937& rng, int T, int D, q::QuantBits bits, bool per_token_keys) {
  const auto k = random_fp16_values(rng, static_cast<size_t>(T) * D, D);
  const auto v = random_fp16_values(rng, static_cast<size_t>(T) * D, D);
  q::QuantizeOptions opt;
  opt.allow_partial_token_group = true;
  L.packed.push_back(q::quantize(k.data(), T, D, q::uniform_spec(bits, 32, per_token_keys ? q::GroupAxis::channels : q::GroupAxis::tokens), opt));
  L.packed.push_back(q::quantize(v.data(), T, D, q::uniform_spec(bits, 32, q::GroupAxis::channels), opt));
}

TEST(KernelAttention, CpuFastMatchesReferenceAndCore) {
  std::mt19937 rng(2);
  for (int D : {64, 128}) {
    built_layer L;
    L.packed.reserve(16);
    L.inter.reserve(2);
    L.dense.reserve(2);
    const int sizes[] = {250, 1, 77};
    const q::QuantBits widths[] = {q::QuantBits::b4, q::QuantBits::b2, q::QuantBits::b1};
    for (int i = 0; i < 3; ++i) add_packed(L, rng, sizes[i], D, widths[i], i == 2);
    std::vector<q::QuantBits> tb;
    for (int t = 0; t < 90; ++t) tb.push_back(t % 3 == 0 ? q::QuantBits::b4 : (t % 3 == 1 ? q::QuantBits::b2 : q::QuantBits::b8));
    const auto ik = random_fp16_values(rng, 90 * static_cast<size_t>(D), D);
    const auto iv = random_fp16_values(rng, 90 * static_cast<size_t>(D), D);
    L.inter.push_back(cache::quantize_interleaved(ik.data(), 90, D, tb, 32));
    L.inter.push_back(cache::quantize_interleaved(iv.data(), 90, D, tb, 32));
    for (int i = 0; i < 2; ++i) {
      const auto d = random_fp16_values(rng, 9 * static_cast<size_t>(D), D);
      L.dense.emplace_back();
      for (float f : d) L.dense.back().push_back(q::float_to_half(f));
    }
    for (int i = 0; i < 3; ++i) {
      segment_view s;
      s.tokens = sizes[i];
      s.key = view_of(L.packed[2 * i]);
      s.value = view_of(L.packed[2 * i + 1]);
      L.table.push_back(s);
    }
    L.table.push_back(segment_view{});  // empty segment
    segment_view si;
    si.tokens = 90;
    si.key = view_of(L.inter[0]);
    si.value = view_of(L.inter[1]);
    L.table.push_back(si);
    segment_view sd;
    sd.tokens = 9;
    sd.key = dense_view(L.dense[0].data());
    sd.value = dense_view(L.dense[1].data());
    L.table.push_back(sd);

    attention_shape shape;
    shape.q_heads = 7;
    shape.kv_heads = 1;
    shape.head_dim = D;
    shape.q_tokens = 3;
    shape.num_segments = static_cast<int>(L.table.size());
    shape.max_tiles = finalize_segment_table(L.table.data(), 1, shape.num_segments);
    const auto qv = random_fp16_values(rng, static_cast<size_t>(3) * 7 * D, D);
    std::vector<float> fast(qv.size(), NAN), ref(qv.size(), NAN), lse_fast(21), lse_ref(21);
    cpu::cpu_attention(shape, qv.data(), L.table.data(), fast.data(), lse_fast.data());
    cpu::reference_attention(shape, qv.data(), L.table.data(), ref.data(), lse_ref.data());
    EXPECT_LT(rel_err(fast, ref), 1e-5) << "D=" << D;
    EXPECT_LT(rel_err(lse_fast, lse_ref), 1e-5) << "D=" << D;

    // core/cache's dense_attention on the same dequantized cache (queries [heads][tokens][D]).
    std::vector<float> k, v;
    cpu::dequantize_sequence(L.table.data(), shape.num_segments, D, 0, k, v);
    std::vector<float> qc(qv.size());
    for (int t = 0; t < 3; ++t)
      for (int h = 0; h < 7; ++h)
        for (int d = 0; d < D; ++d) qc[(h * 3 + t) * D + d] = qv[(t * 7 + h) * D + d];
    cache::AttentionOptions opt;
    opt.causal_tail = false;
    const auto core = cache::dense_attention(qc.data(), 7, 3, k.data(), v.data(), 1, static_cast<int>(k.size() / D), 0, D, opt);
    std::vector<float> mine(qv.size());
    for (int t = 0; t < 3; ++t)
      for (int h = 0; h < 7; ++h)
        for (int d = 0; d < D; ++d) mine[(h * 3 + t) * D + d] = fast[(t * 7 + h) * D + d];
    EXPECT_LT(rel_err(mine, core.out), 1e-5) << "D=" << D;
  }
}

TEST(KernelAttention, CpuRejectsUnsupportedHeadDim) {
  attention_shape shape;
  shape.q_heads = shape.kv_heads = 1;
  shape.head_dim = 96;
  shape.num_segments = 1;
  segment_view s;
  float q = 0, out = 0;
  EXPECT_THROW(cpu::cpu_attention(shape, &q, &s, &out), std::invalid_argument);
}

}  // namespace
}  // namespace wq::kernels
