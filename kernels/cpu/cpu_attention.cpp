#include "kernels/cpu/cpu_attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/view_dequant.h"
#include "kernels/dispatch.h"

namespace wq::kernels::cpu {
namespace {

constexpr int kTile = kTileTokens;

// Per-group (scale, min) with the dequant rule folded in: x = code·scale + min.
inline void folded(const tensor_view& tv, const uint16_t* sc, const uint16_t* mn, int64_t g, float& s, float& m) {
  s = half_bits_to_float(sc[g]);
  m = 0.0f;
  switch (tv.rule) {
    case dequant_rule::asym: m = half_bits_to_float(mn[g]); break;
    case dequant_rule::sym: m = -static_cast<float>((1 << (tv.storage_bits - 1)) - 1) * s; break;
    case dequant_rule::ternary: m = -s; break;
    case dequant_rule::scale_only: m = 0.0f; break;
  }
}

// Codes of a row for widths dividing 32: BITS is a template parameter so the shift/mask
// loop vectorises.
template <int BITS>
inline void unpack_row(const uint32_t* row, int first, int n, float* out, int out_stride) {
  constexpr int c = 32 / BITS;
  constexpr uint32_t mask = (1u << BITS) - 1u;
  for (int i = 0; i < n; ++i) {
    const int idx = first + i;
    out[static_cast<int64_t>(i) * out_stride] = static_cast<float>((row[idx / c] >> (BITS * (idx % c))) & mask);
  }
}

inline void unpack_any(const tensor_view& tv, const uint32_t* row, int first, int n, float* out, int out_stride) {
  if (!tv.base3) {
    switch (tv.storage_bits) {
      case 1: return unpack_row<1>(row, first, n, out, out_stride);
      case 2: return unpack_row<2>(row, first, n, out, out_stride);
      case 4: return unpack_row<4>(row, first, n, out, out_stride);
      case 8: return unpack_row<8>(row, first, n, out, out_stride);
      default: break;
    }
  }
  for (int i = 0; i < n; ++i)
    out[static_cast<int64_t>(i) * out_stride] = static_cast<float>(code_at(row, first + i, tv.storage_bits, tv.base3));
}

// Dequantizes tokens [t0, t0 + n) of one tensor into buf [n][D].
template <int D>
void dequant_tile(const tensor_view& tv, int tokens, int kv_head, int t0, int n, float* buf) {
  switch (tv.format) {
    case tensor_format::empty: return;
    case tensor_format::dense16: {
      const auto* v = reinterpret_cast<const uint16_t*>(tv.words + kv_head * tv.head_stride_words) +
                      static_cast<int64_t>(t0) * D;
      for (int i = 0; i < n * D; ++i) buf[i] = tv.dense_bf16 ? bf16_bits_to_float(v[i]) : half_bits_to_float(v[i]);
      return;
    }
    case tensor_format::interleaved: {
      // The per-token width lookup: this branch is what reordering removes.
      const uint8_t* bits = tv.bits + kv_head * tv.head_stride_tokens;
      const uint32_t* offs = tv.word_offset + kv_head * tv.head_stride_tokens;
      const uint32_t* words = tv.words + kv_head * tv.head_stride_words;
      const uint16_t* sc = tv.scales + kv_head * tv.head_stride_groups;
      const uint16_t* mn = tv.mins + kv_head * tv.head_stride_groups;
      const int groups = D / tv.group_size;
      for (int i = 0; i < n; ++i) {
        const int t = t0 + i;
        float* row = buf + static_cast<int64_t>(i) * D;
        if (bits[t] == 16) {
          for (int d = 0; d < D; ++d) row[d] = half_bits_to_float(static_cast<uint16_t>(words[offs[t] + d / 2] >> (16 * (d % 2))));
          continue;
        }
        tensor_view one = tv;
        one.storage_bits = bits[t];
        unpack_any(one, words + offs[t], 0, D, row, 1);
        for (int g = 0; g < groups; ++g) {
          const float s = half_bits_to_float(sc[static_cast<int64_t>(t) * groups + g]);
          const float m = half_bits_to_float(mn[static_cast<int64_t>(t) * groups + g]);
          for (int d = g * tv.group_size; d < (g + 1) * tv.group_size; ++d) row[d] = row[d] * s + m;
        }
      }
      return;
    }
    case tensor_format::packed: break;
  }
  const int c = tv.base3 ? 20 : 32 / tv.storage_bits;
  const uint32_t* words = tv.words + kv_head * tv.head_stride_words;
  const uint16_t* sc = tv.scales + kv_head * tv.head_stride_groups;
  const uint16_t* mn = tv.mins ? tv.mins + kv_head * tv.head_stride_groups : nullptr;
  if (tv.axis == group_axis::tokens) {
    const int64_t rw = (tokens + c - 1) / c, rg = (tokens + tv.group_size - 1) / tv.group_size;
    for (int d = 0; d < D; ++d) {
      unpack_any(tv, words + d * rw, t0, n, buf + d, D);
      for (int i = 0; i < n; ++i) {
        float s, m;
        folded(tv, sc, mn, d * rg + (t0 + i) / tv.group_size, s, m);
        buf[static_cast<int64_t>(i) * D + d] = buf[static_cast<int64_t>(i) * D + d] * s + m;
      }
    }
  } else {
    const int64_t rw = (D + c - 1) / c, rg = D / tv.group_size;
    for (int i = 0; i < n; ++i) {
      float* row = buf + static_cast<int64_t>(i) * D;
      unpack_any(tv, words + (t0 + i) * rw, 0, D, row, 1);
      for (int g = 0; g < rg; ++g) {
        float s, m;
        folded(tv, sc, mn, (t0 + i) * rg + g, s, m);
        for (int d = g * tv.group_size; d < (g + 1) * tv.group_size; ++d) row[d] = row[d] * s + m;
      }
    }
  }
}

template <int D>
void attention_impl(const attention_shape& shape, const float* q, const segment_view* table, float* out, float* lse) {
  const int group = shape.q_heads / shape.kv_heads;
  const float scale = shape.scale > 0.f ? shape.scale : 1.0f / std::sqrt(static_cast<float>(D));
  const int rows = shape.q_tokens * group;
  std::vector<float> kt(kTile * D), vt(kTile * D), qs(static_cast<size_t>(rows) * D), acc(static_cast<size_t>(rows) * D);
  std::vector<float> m(rows), l(rows), logit(kTile);
  for (int b = 0; b < shape.batch; ++b) {
    const segment_view* segs = table + static_cast<int64_t>(b) * shape.num_segments;
    for (int kvh = 0; kvh < shape.kv_heads; ++kvh) {
      for (int r = 0; r < rows; ++r) {
        const int qt = r / group, h = kvh * group + r % group;
        const float* src = q + ((static_cast<int64_t>(b) * shape.q_tokens + qt) * shape.q_heads + h) * D;
        for (int d = 0; d < D; ++d) qs[static_cast<size_t>(r) * D + d] = src[d] * scale;
      }
      std::fill(acc.begin(), acc.end(), 0.0f);
      std::fill(m.begin(), m.end(), -INFINITY);
      std::fill(l.begin(), l.end(), 0.0f);
      for (int s = 0; s < shape.num_segments; ++s) {
        const segment_view& seg = segs[s];
        for (int t0 = 0; t0 < seg.tokens; t0 += kTile) {
          const int n = std::min(kTile, seg.tokens - t0);
          dequant_tile<D>(seg.key, seg.tokens, kvh, t0, n, kt.data());
          dequant_tile<D>(seg.value, seg.tokens, kvh, t0, n, vt.data());
          for (int r = 0; r < rows; ++r) {
            const float* qr = qs.data() + static_cast<size_t>(r) * D;
            float mx = m[r];
            for (int i = 0; i < n; ++i) {
              const float* kr = kt.data() + static_cast<size_t>(i) * D;
              float dot = 0.0f;
              for (int d = 0; d < D; ++d) dot += qr[d] * kr[d];
              logit[i] = dot;
              mx = std::max(mx, dot);
            }
            const float alpha = std::exp(m[r] - mx);
            float* ar = acc.data() + static_cast<size_t>(r) * D;
            for (int d = 0; d < D; ++d) ar[d] *= alpha;
            float sum = l[r] * alpha;
            for (int i = 0; i < n; ++i) {
              const float p = std::exp(logit[i] - mx);
              sum += p;
              const float* vr = vt.data() + static_cast<size_t>(i) * D;
              for (int d = 0; d < D; ++d) ar[d] += p * vr[d];
            }
            m[r] = mx;
            l[r] = sum;
          }
        }
      }
      for (int r = 0; r < rows; ++r) {
        const int qt = r / group, h = kvh * group + r % group;
        const int64_t row = (static_cast<int64_t>(b) * shape.q_tokens + qt) * shape.q_heads + h;
        for (int d = 0; d < D; ++d) out[row * D + d] = l[r] > 0 ? acc[static_cast<size_t>(r) * D + d] / l[r] : 0.0f;
        if (lse) lse[row] = l[r] > 0 ? m[r] + std::log(l[r]) : -INFINITY;
      }
    }
  }
}

}  // namespace

void cpu_attention(const attention_shape& shape, const float* q, const segment_view* table, float* out, float* lse) {
  if (shape.kv_heads < 1 || shape.q_heads % shape.kv_heads != 0)
    throw std::invalid_argument("cpu_attention: q_heads must be a positive multiple of kv_heads");
  dispatch_cpu_head_dim(shape.head_dim,
                        [&](auto dim) { attention_impl<decltype(dim)::value>(shape, q, table, out, lse); });
}

}  // namespace wq::kernels::cpu
