// Packed-context attention through the CPU kernels, with fp32 full-precision segments and a
// per-layer dequantized fallback (context_attention.h).
#include "core/cache/context_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/cache/kernel_views.h"
#include "core/cache/key_channel_norm.h"
#include "core/quant/transforms.h"
#include "kernels/cpu/cpu_attention.h"

namespace wq::cache {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The kernels' view of one quantized segment tensor; false (and why) when no view describes it
// or its channel frame differs from the layer's other tensors.
bool tensor_view_of(const SegmentTensor& t, SegmentKind kind, ChannelFrame& frame, kernels::tensor_view& view,
                    std::string& why) {
  if (kind == SegmentKind::interleaved) {
    view = view_of(t.interleaved);
    why = frame.add(quant::Transform::none);
    return why.empty();
  }
  const bool channel_parts = t.parts.size() != 1 || !t.parts[0].channels.empty();
  why = kernel_unreadable(t.parts.at(0).packed.spec, channel_parts);
  if (why.empty()) why = frame.add(t.parts[0].packed.spec.transform);
  if (!why.empty()) return false;
  const quant::QTensor& q = t.parts[0].packed;
  // 16-bit passthrough stores fp16 rows [T][D/2 words]: exactly the kernels' dense16 layout.
  view = q.spec.bits == quant::QuantBits::b16 ? dense_view(reinterpret_cast<const uint16_t*>(q.words.data()))
                                              : view_of(q);
  return true;
}

// The kernels' view of a quantized or interleaved segment (both tensors); false (and why) as
// tensor_view_of.
bool segment_view_of(const Segment& seg, ChannelFrame& frame, kernels::segment_view& view, std::string& why) {
  view.tokens = seg.size();
  return tensor_view_of(seg.key, seg.kind, frame, view.key, why) &&
         tensor_view_of(seg.value, seg.kind, frame, view.value, why);
}

// Exact fp32 attention of `rows` query rows [rows][D] over n keys/values [n][D]; out [rows][D],
// lse [rows]. The CPU twin of what the kernels compute, for full-precision and dequantized keys.
void attend_rows(const float* q, int rows, const float* k, const float* v, int n, int D, float scale, float* out,
                 float* lse) {
  std::vector<float> s(static_cast<size_t>(n));
  for (int r = 0; r < rows; ++r) {
    const float* qr = q + static_cast<int64_t>(r) * D;
    float* o = out + static_cast<int64_t>(r) * D;
    std::fill(o, o + D, 0.0f);
    if (n == 0) {
      lse[r] = kNegInf;
      continue;
    }
    float m = kNegInf;
    for (int j = 0; j < n; ++j) {
      const float* kj = k + static_cast<int64_t>(j) * D;
      float dot = 0;
      for (int d = 0; d < D; ++d) dot += qr[d] * kj[d];
      s[static_cast<size_t>(j)] = dot * scale;
      m = std::max(m, s[static_cast<size_t>(j)]);
    }
    double l = 0;
    for (int j = 0; j < n; ++j) {
      const float p = std::exp(s[static_cast<size_t>(j)] - m);
      l += p;
      const float* vj = v + static_cast<int64_t>(j) * D;
      for (int d = 0; d < D; ++d) o[d] += p * vj[d];
    }
    for (int d = 0; d < D; ++d) o[d] = static_cast<float>(o[d] / l);
    lse[r] = m + static_cast<float>(std::log(l));
  }
}

// Rotates `rows` rows of D channels into (or, H being its own inverse, out of) the Hadamard frame.
void rotate_rows(float* x, int64_t rows, int D) {
  for (int64_t r = 0; r < rows; ++r) quant::hadamard_inplace(x + r * D, D);
}

}  // namespace

const char* attention_path_name(AttentionPath path) {
  return path == AttentionPath::fused ? "fused" : "dequantized";
}

void merge_partial_attention(float* out_a, float* lse_a, const float* out_b, const float* lse_b, int rows,
                             int head_dim) {
  for (int r = 0; r < rows; ++r) {
    if (lse_b[r] == kNegInf) continue;
    float* a = out_a + static_cast<int64_t>(r) * head_dim;
    const float* b = out_b + static_cast<int64_t>(r) * head_dim;
    if (lse_a[r] == kNegInf) {
      std::copy(b, b + head_dim, a);
      lse_a[r] = lse_b[r];
      continue;
    }
    const float m = std::max(lse_a[r], lse_b[r]);
    const float wa = std::exp(lse_a[r] - m), wb = std::exp(lse_b[r] - m);
    for (int d = 0; d < head_dim; ++d) a[d] = (wa * a[d] + wb * b[d]) / (wa + wb);
    lse_a[r] = m + std::log(wa + wb);
  }
}

PackedContext::PackedContext(const KvCache& cache, const TailRule& tail_rule) : cache_(cache), tail_rule_(tail_rule) {
  if (cache.mode != CacheMode::packed)
    throw std::invalid_argument("PackedContext: the cache was built in simulate mode (packed arrays needed)");
  for (const LayerCache& layer : cache.layers) {
    LayerTables tables;
    ChannelFrame frame;
    for (const HeadCache& head : layer.heads) {
      HeadTable table;
      for (const Segment& seg : head.segments) {
        if (seg.size() == 0) continue;
        if (seg.kind == SegmentKind::full_precision) {
          table.full_precision.push_back({seg.key.values.data(), seg.value.values.data(), seg.size()});
          continue;
        }
        kernels::segment_view view;
        std::string why;
        if (!segment_view_of(seg, frame, view, why)) {
          tables.fused = false;
          if (dequantized_reason_.empty()) dequantized_reason_ = "the kernels cannot read " + why;
          break;
        }
        table.quantized.push_back(view);
      }
      if (!tables.fused) break;
      kernels::finalize_segment_table(table.quantized.data(), 1, static_cast<int>(table.quantized.size()));
      table.context_views = static_cast<int>(table.quantized.size());
      tables.heads.push_back(std::move(table));
    }
    tables.rotated = tables.fused && frame.rotated();
    validate(tail_rule_, layer.head_dim);
    // The rule packs tail rows as appended; in another frame simulate mode would not match.
    if (tail_rule_.residual > 0 && (tables.rotated || layer.key_channel_norm))
      throw std::invalid_argument("PackedContext: a tail rule with a rotated or channel-normalised layer");
    tables.tail_chunks.resize(static_cast<size_t>(layer.kv_heads()));
    if (tables.rotated)  // full-precision tokens join the quantized ones in the rotated frame
      for (HeadTable& table : tables.heads)
        for (DenseRun& run : table.full_precision) {
          for (const float* source : {run.k, run.v}) {
            table.rotated.emplace_back(source, source + static_cast<int64_t>(run.n) * layer.head_dim);
            rotate_rows(table.rotated.back().data(), run.n, layer.head_dim);
          }
          run.k = table.rotated[table.rotated.size() - 2].data();
          run.v = table.rotated.back().data();
        }
    if (!tables.fused) {
      tables.heads.clear();
      path_ = AttentionPath::dequantized;
    }
    layers_.push_back(std::move(tables));
  }
}

void PackedContext::append(int layer, const float* k, const float* v, int n) {
  if (layer < 0 || layer >= layers())
    throw std::out_of_range("PackedContext::append: layer " + std::to_string(layer) + " of " + std::to_string(layers()));
  LayerTables& tables = layers_[static_cast<size_t>(layer)];
  const LayerCache& cache_layer = cache_.layers[static_cast<size_t>(layer)];
  const size_t rows = static_cast<size_t>(n) * cache_layer.head_dim;
  tables.tail_k.resize(static_cast<size_t>(cache_layer.kv_heads()));
  tables.tail_v.resize(tables.tail_k.size());
  for (size_t h = 0; h < tables.tail_k.size(); ++h) {
    tables.tail_k[h].insert(tables.tail_k[h].end(), k + h * rows, k + (h + 1) * rows);
    tables.tail_v[h].insert(tables.tail_v[h].end(), v + h * rows, v + (h + 1) * rows);
    if (tables.rotated)
      for (std::vector<float>* tail : {&tables.tail_k[h], &tables.tail_v[h]})
        rotate_rows(tail->data() + tail->size() - rows, n, cache_layer.head_dim);
    const std::vector<float>& key_scale = cache_layer.heads[h].key_scale;
    if (tables.fused && !key_scale.empty())  // into the keys' normalised frame, as stored
      scale_channels(tables.tail_k[h].data() + tables.tail_k[h].size() - rows, n, key_scale, /*divide=*/true);
  }
  tables.tail += n;
  apply_tail_rule(layer, tables.appended + n);
}

void PackedContext::apply_tail_rule(int layer, int appended) {
  LayerTables& tables = layers_[static_cast<size_t>(layer)];
  const TailSplit from = tail_split(tail_rule_, tables.appended), to = tail_split(tail_rule_, appended);
  tables.appended = appended;
  if (from.keys == to.keys && from.values == to.values) return;
  const int D = cache_.layers[static_cast<size_t>(layer)].head_dim, G = tail_chunk_tokens(tail_rule_);
  const int moved = to.keys - from.keys;  // the oldest full-precision rows: keys from.keys on
  for (size_t h = 0; h < tables.tail_chunks.size(); ++h) {
    std::vector<Segment>& chunks = tables.tail_chunks[h];
    std::vector<float>& tk = tables.tail_k[h];
    std::vector<float>& tv = tables.tail_v[h];
    for (int t = 0; t < moved; t += G) {
      const size_t row = static_cast<size_t>(t) * D;
      chunks.push_back(tail_chunk(tail_rule_, tk.data() + row, tv.data() + row, G, D, CacheMode::packed));
    }
    tk.erase(tk.begin(), tk.begin() + static_cast<std::ptrdiff_t>(moved) * D);
    tv.erase(tv.begin(), tv.begin() + static_cast<std::ptrdiff_t>(moved) * D);
    for (int t = from.values; t < to.values; t += G)
      quantize_chunk_values(tail_rule_, chunks[static_cast<size_t>(t / G)], D, CacheMode::packed);
    if (!tables.fused) continue;  // a dequantized layer reads its chunks dequantized
    HeadTable& table = tables.heads[h];
    table.quantized.resize(static_cast<size_t>(table.context_views));
    for (const Segment& chunk : chunks) {  // always readable: validate(TailRule) keeps to kernel formats
      kernels::segment_view view;
      ChannelFrame frame;
      std::string why;
      segment_view_of(chunk, frame, view, why);
      table.quantized.push_back(view);
    }
    kernels::finalize_segment_table(table.quantized.data(), 1, static_cast<int>(table.quantized.size()));
  }
  tables.tail -= moved;
}

int PackedContext::tail_tokens(int layer) const { return layers_.at(static_cast<size_t>(layer)).appended; }

int PackedContext::full_precision_tail_tokens(int layer) const { return layers_.at(static_cast<size_t>(layer)).tail; }

void PackedContext::attend(int layer, const float* q, int q_heads, int q_tokens, float* out, float* lse) const {
  if (layer < 0 || layer >= layers())
    throw std::out_of_range("PackedContext::attend: layer " + std::to_string(layer) + " of " +
                            std::to_string(layers()));
  const LayerCache& cache_layer = cache_.layers[static_cast<size_t>(layer)];
  const int kv_heads = cache_layer.kv_heads(), D = cache_layer.head_dim;
  if (kv_heads == 0 || q_heads % kv_heads != 0)
    throw std::invalid_argument("PackedContext::attend: " + std::to_string(q_heads) +
                                " query heads do not group over " + std::to_string(kv_heads) + " KV heads");
  const int group = q_heads / kv_heads, rows = group * q_tokens;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const LayerTables& tables = layers_[static_cast<size_t>(layer)];
  std::vector<float> q_kernel(static_cast<size_t>(rows) * D), out_kernel(q_kernel.size()), lse_kernel(rows);
  std::vector<float> part_out(q_kernel.size()), part_lse(rows), k, v;
  std::vector<float> q_rotated, q_scaled;
  if (tables.rotated) {  // into the layer's frame; the output is rotated back at the end
    q_rotated.assign(q, q + static_cast<int64_t>(q_heads) * q_tokens * D);
    rotate_rows(q_rotated.data(), static_cast<int64_t>(q_heads) * q_tokens, D);
    q = q_rotated.data();
  }
  for (int h = 0; h < kv_heads; ++h) {
    // This KV head's query heads, [group][q_tokens][D] contiguous in q, out and lse.
    const float* qh = q + static_cast<int64_t>(h) * rows * D;
    float* oh = out + static_cast<int64_t>(h) * rows * D;
    float* lh = lse + static_cast<int64_t>(h) * rows;
    const HeadCache& head = cache_layer.heads[static_cast<size_t>(h)];
    if (tables.fused && !head.key_scale.empty()) {  // q·k = (q∘f)·(k/f): read in the keys' frame
      q_scaled.assign(qh, qh + static_cast<int64_t>(rows) * D);
      scale_channels(q_scaled.data(), rows, head.key_scale, /*divide=*/false);
      qh = q_scaled.data();
    }
    const auto merge_tail = [&] {
      if (tables.tail == 0) return;
      attend_rows(qh, rows, tables.tail_k[static_cast<size_t>(h)].data(), tables.tail_v[static_cast<size_t>(h)].data(),
                  tables.tail, D, scale, part_out.data(), part_lse.data());
      merge_partial_attention(oh, lh, part_out.data(), part_lse.data(), rows, D);
    };
    if (!tables.fused) {
      dequantize_head(head, D, k, v);
      attend_rows(qh, rows, k.data(), v.data(), head.context_tokens(), D, scale, oh, lh);
      for (const Segment& chunk : tables.tail_chunks[static_cast<size_t>(h)]) {
        k.resize(static_cast<size_t>(chunk.size()) * D);
        v.resize(k.size());
        read_tensor(chunk, chunk.key, D, k.data());
        read_tensor(chunk, chunk.value, D, v.data());
        attend_rows(qh, rows, k.data(), v.data(), chunk.size(), D, scale, part_out.data(), part_lse.data());
        merge_partial_attention(oh, lh, part_out.data(), part_lse.data(), rows, D);
      }
      merge_tail();
      continue;
    }
    const HeadTable& table = tables.heads[static_cast<size_t>(h)];
    std::fill(lh, lh + rows, kNegInf);
    std::fill(oh, oh + static_cast<int64_t>(rows) * D, 0.0f);
    if (!table.quantized.empty()) {
      // The kernels take q as [q_tokens][group][D]; the model gives [group][q_tokens][D].
      for (int g = 0; g < group; ++g)
        for (int t = 0; t < q_tokens; ++t)
          std::copy_n(qh + (static_cast<int64_t>(g) * q_tokens + t) * D, D,
                      q_kernel.data() + (static_cast<int64_t>(t) * group + g) * D);
      kernels::attention_shape shape;
      shape.q_heads = group;
      shape.kv_heads = 1;
      shape.head_dim = D;
      shape.q_tokens = q_tokens;
      shape.num_segments = static_cast<int>(table.quantized.size());
      shape.max_tiles = table.quantized.back().tile_begin +
                        (table.quantized.back().tokens + kernels::kTileTokens - 1) / kernels::kTileTokens;
      shape.scale = scale;
      kernels::cpu::cpu_attention(shape, q_kernel.data(), table.quantized.data(), out_kernel.data(), lse_kernel.data());
      for (int g = 0; g < group; ++g)
        for (int t = 0; t < q_tokens; ++t) {
          const int64_t mine = static_cast<int64_t>(g) * q_tokens + t, theirs = static_cast<int64_t>(t) * group + g;
          std::copy_n(out_kernel.data() + theirs * D, D, oh + mine * D);
          lh[mine] = lse_kernel[static_cast<size_t>(theirs)];
        }
    }
    for (const DenseRun& run : table.full_precision) {
      attend_rows(qh, rows, run.k, run.v, run.n, D, scale, part_out.data(), part_lse.data());
      merge_partial_attention(oh, lh, part_out.data(), part_lse.data(), rows, D);
    }
    merge_tail();
  }
  if (tables.rotated) rotate_rows(out, static_cast<int64_t>(q_heads) * q_tokens, D);
}

}  // namespace wq::cache
