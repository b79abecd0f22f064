// Qwen2-VL / Qwen2.5-VL vision transformer (see qwen2_vl_vision.h). Numerics follow
// transformers' eager path: rotary in fp32, softmax in fp32, norms with eps 1e-6.
#include "vlm/models/qwen2_vl_vision.h"

#include <algorithm>
#include <map>

#include "vlm/models/attention.h"
#include "vlm/models/safetensors.h"
#include "vlm/models/weights.h"

namespace wq::models {

struct VisionBlockWeights {
  at::Tensor norm1_w, norm1_b, norm2_w, norm2_b;  // biases only for LayerNorm (Qwen2-VL)
  at::Tensor qkv_w, qkv_b, proj_w, proj_b;
  at::Tensor gate_w, gate_b;              // SwiGLU gate (Qwen2.5-VL only)
  at::Tensor up_w, up_b, down_w, down_b;  // Qwen2-VL's fc1 / fc2
};

struct Qwen2VLVisionWeights {
  at::Tensor patch;  // Conv3d kernel flattened to [width, channels * tp * patch * patch]
  std::vector<VisionBlockWeights> blocks;
  at::Tensor merger_norm_w, merger_norm_b, merger_w0, merger_b0, merger_w2, merger_b2;
  at::Tensor inv_freq;  // [head_dim / 4] fp32: one table shared by rows and columns
};

namespace {

namespace F = torch::nn::functional;

constexpr double kNormEps = 1e-6;

// Widths as the two families name them: Qwen2-VL's embed_dim / hidden_size (LLM) /
// mlp_ratio, Qwen2.5-VL's hidden_size / out_hidden_size / intermediate_size.
std::int64_t vit_width(const Qwen2VLConfig& c) {
  return c.is_2_5 ? c.vision.hidden_size : c.vision.embed_dim;
}
std::int64_t mlp_width(const Qwen2VLConfig& c) {
  return c.is_2_5 ? c.vision.intermediate_size : c.vision.embed_dim * c.vision.mlp_ratio;
}

at::Tensor activation(const at::Tensor& x, const std::string& name) {
  if (name == "quick_gelu") return x * torch::sigmoid(1.702 * x);
  if (name == "silu") return torch::silu(x);
  return F::gelu(x);  // "gelu": build() admits no other name
}

// LayerNorm where a bias is stored (Qwen2-VL), RMSNorm otherwise (Qwen2.5-VL).
at::Tensor norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
  if (b.defined())
    return F::layer_norm(x, F::LayerNormFuncOptions({x.size(-1)}).weight(w).bias(b).eps(kNormEps));
  return rms_norm(x, w, kNormEps);
}

at::Tensor mlp(const at::Tensor& h, const VisionBlockWeights& l, const std::string& act) {
  if (l.gate_w.defined())
    return at::linear(activation(at::linear(h, l.gate_w, l.gate_b), act) *
                          at::linear(h, l.up_w, l.up_b),
                      l.down_w, l.down_b);
  return at::linear(activation(at::linear(h, l.up_w, l.up_b), act), l.down_w, l.down_b);
}

// Self-attention of h [N, width] inside each segment [cu[i], cu[i+1]) of the token axis (what
// transformers' eager path does segment by segment); segments of one length run as one batch.
at::Tensor segment_attention(const at::Tensor& h, const VisionBlockWeights& l, const at::Tensor& cos,
                             const at::Tensor& sin, const std::vector<std::int64_t>& cu,
                             std::int64_t heads) {
  const auto N = h.size(0), E = h.size(1), D = E / heads;
  at::Tensor qkv = at::linear(h, l.qkv_w, l.qkv_b).view({N, 3, heads, D});
  auto rotate = [&](const at::Tensor& t) {
    at::Tensor f = t.to(at::kFloat);
    return (f * cos.unsqueeze(1) + rotate_half(f) * sin.unsqueeze(1)).to(t.scalar_type());
  };
  const at::Tensor q = rotate(qkv.select(1, 0)), k = rotate(qkv.select(1, 1));
  const at::Tensor v = qkv.select(1, 2);
  std::map<std::int64_t, std::vector<std::int64_t>> starts_by_length;
  for (std::size_t i = 0; i + 1 < cu.size(); ++i)
    if (cu[i + 1] > cu[i]) starts_by_length[cu[i + 1] - cu[i]].push_back(cu[i]);
  at::Tensor out = torch::empty({N, heads, D}, q.options());
  for (const auto& [length, starts] : starts_by_length) {
    const auto n = static_cast<std::int64_t>(starts.size());
    const at::Tensor index = (torch::tensor(starts, torch::kLong).unsqueeze(1) +
                              torch::arange(length, torch::kLong))
                                 .flatten()
                                 .to(h.device());
    auto gather = [&](const at::Tensor& t) {  // -> [segments, heads, length, D]
      return t.index_select(0, index).view({n, length, heads, D}).transpose(1, 2);
    };
    out.index_copy_(0, index, full_attention(gather(q), gather(k), gather(v)).transpose(1, 2).reshape({n * length, heads, D}));
  }
  return out.view({N, E});
}

// kind: 0 matrix, 1 bias, 2 norm weight (what RandomWeights draws for the name).
template <class Get>
Qwen2VLVisionWeights build(const Qwen2VLConfig& c, Get&& get) {
  const auto& v = c.vision;
  const auto E = vit_width(c), I = mlp_width(c), out = vision_output_width(c);
  const auto M = E * v.spatial_merge_size * v.spatial_merge_size, P = v.patch_size;
  if (v.num_heads <= 0 || E % v.num_heads != 0 || (E / v.num_heads) % 4 != 0)
    throw std::invalid_argument("Qwen2-VL vision: num_heads must divide the width into head dims "
                                "that are multiples of 4 (2-D rotary)");
  if (v.hidden_act != "quick_gelu" && v.hidden_act != "silu" && v.hidden_act != "gelu")
    throw std::invalid_argument("Qwen2-VL vision: unsupported hidden_act '" + v.hidden_act + "'");
  Qwen2VLVisionWeights w;
  w.patch = get("patch_embed.proj.weight", {E, v.in_channels, v.temporal_patch_size, P, P}, 0)
                .reshape({E, -1});
  for (std::int64_t i = 0; i < v.depth; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    VisionBlockWeights l;
    l.norm1_w = get(p + "norm1.weight", {E}, 2);
    l.norm2_w = get(p + "norm2.weight", {E}, 2);
    if (!c.is_2_5) {
      l.norm1_b = get(p + "norm1.bias", {E}, 1);
      l.norm2_b = get(p + "norm2.bias", {E}, 1);
    }
    l.qkv_w = get(p + "attn.qkv.weight", {3 * E, E}, 0);
    l.qkv_b = get(p + "attn.qkv.bias", {3 * E}, 1);
    l.proj_w = get(p + "attn.proj.weight", {E, E}, 0);
    l.proj_b = get(p + "attn.proj.bias", {E}, 1);
    const std::string up = c.is_2_5 ? "mlp.up_proj." : "mlp.fc1.";
    const std::string down = c.is_2_5 ? "mlp.down_proj." : "mlp.fc2.";
    if (c.is_2_5) {
      l.gate_w = get(p + "mlp.gate_proj.weight", {I, E}, 0);
      l.gate_b = get(p + "mlp.gate_proj.bias", {I}, 1);
    }
    l.up_w = get(p + up + "weight", {I, E}, 0);
    l.up_b = get(p + up + "bias", {I}, 1);
    l.down_w = get(p + down + "weight", {E, I}, 0);
    l.down_b = get(p + down + "bias", {E}, 1);
    w.blocks.push_back(std::move(l));
  }
  w.merger_norm_w = get("merger.ln_q.weight", {E}, 2);
  if (!c.is_2_5) w.merger_norm_b = get("merger.ln_q.bias", {E}, 1);
  w.merger_w0 = get("merger.mlp.0.weight", {M, M}, 0);
  w.merger_b0 = get("merger.mlp.0.bias", {M}, 1);
  w.merger_w2 = get("merger.mlp.2.weight", {out, M}, 0);
  w.merger_b2 = get("merger.mlp.2.bias", {out}, 1);
  // transformers' axial rope init: base^(-2i / (head_dim / 2)) over half the head dimension.
  const auto half = E / v.num_heads / 2;
  auto exponent = torch::arange(0, half, 2, torch::kLong).to(at::kFloat) / static_cast<double>(half);
  w.inv_freq = (1.0 / torch::pow(v.rope_theta, exponent)).to(w.patch.device());
  return w;
}

}  // namespace

std::int64_t vision_output_width(const Qwen2VLConfig& c) {
  return c.is_2_5 ? c.vision.out_hidden_size : c.vision.hidden_size;
}

VisionWindows vision_windows(const VideoGrid& g, std::int64_t m, std::int64_t window_size,
                             std::int64_t patch_size) {
  const auto side = window_size / m / patch_size;  // merged tokens per window side
  TORCH_CHECK(side > 0, "vision_windows: window_size ", window_size, " is smaller than a merged token");
  const auto rows = g.h / m, cols = g.w / m;
  VisionWindows out;
  out.cu_seqlens = {0};
  for (std::int64_t t = 0; t < g.t; ++t)
    for (std::int64_t r0 = 0; r0 < rows; r0 += side)
      for (std::int64_t c0 = 0; c0 < cols; c0 += side) {
        std::int64_t count = 0;
        for (auto r = r0; r < std::min(rows, r0 + side); ++r)
          for (auto c = c0; c < std::min(cols, c0 + side); ++c, ++count)
            out.index.push_back((t * rows + r) * cols + c);
        out.cu_seqlens.push_back(out.cu_seqlens.back() + count * m * m);
      }
  return out;
}

Qwen2VLVisionTower::Qwen2VLVisionTower(Qwen2VLConfig config,
                                       std::shared_ptr<const Qwen2VLVisionWeights> weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}

Qwen2VLVisionTower Qwen2VLVisionTower::load(const Checkpoint& ckpt, const Qwen2VLConfig& c,
                                            const std::string& prefix, const LoadOptions& options) {
  WeightLoader loader(ckpt, options);
  auto get = [&](const std::string& name, std::vector<std::int64_t> shape, int) {
    return loader.get(prefix + name, shape);
  };
  return Qwen2VLVisionTower(c, std::make_shared<Qwen2VLVisionWeights>(build(c, get)));
}

Qwen2VLVisionTower Qwen2VLVisionTower::random(const Qwen2VLConfig& c, RandomWeights& random) {
  auto get = [&](const std::string&, std::vector<std::int64_t> shape, int kind) {
    if (kind == 0) return random.matrix(shape);
    return random.vector(shape[0], kind == 2 ? 1.0 : 0.0, 0.1);
  };
  return Qwen2VLVisionTower(c, std::make_shared<Qwen2VLVisionWeights>(build(c, get)));
}

at::Tensor Qwen2VLVisionTower::forward(const at::Tensor& pixel_values, const VideoGrid& g) const {
  const auto& v = config_.vision;
  const auto& w = *weights_;
  const auto m = v.spatial_merge_size, unit = m * m, N = g.patches();
  const auto E = w.patch.size(0), heads = v.num_heads;
  TORCH_CHECK(g.t > 0 && g.h > 0 && g.w > 0 && g.h % m == 0 && g.w % m == 0,
              "Qwen2-VL vision: grid ", g.t, "x", g.h, "x", g.w, " is not a positive multiple of ",
              m, " in height and width");
  TORCH_CHECK(pixel_values.dim() == 2 && pixel_values.size(0) == N &&
                  pixel_values.size(1) == w.patch.size(1),
              "Qwen2-VL vision: pixel_values must be [", N, ", ", w.patch.size(1), "], got ",
              pixel_values.sizes());
  const auto device = w.patch.device();
  // The Conv3d with stride = kernel is one matrix product per flattened patch.
  at::Tensor x = at::linear(pixel_values.to(device, w.patch.scalar_type()), w.patch);

  // 2-D rotary angles: each patch's (row, column), patches in merge-block order.
  std::vector<std::int64_t> rows, cols;
  for (std::int64_t t = 0; t < g.t; ++t)
    for (std::int64_t br = 0; br < g.h / m; ++br)
      for (std::int64_t bc = 0; bc < g.w / m; ++bc)
        for (std::int64_t i = 0; i < m; ++i)
          for (std::int64_t j = 0; j < m; ++j) {
            rows.push_back(br * m + i);
            cols.push_back(bc * m + j);
          }
  const at::Tensor position =
      torch::stack({torch::tensor(rows, torch::kLong), torch::tensor(cols, torch::kLong)}, 1)
          .to(device, at::kFloat);
  at::Tensor angles = position.unsqueeze(-1) * w.inv_freq;  // [N, 2, head_dim / 4]
  angles = torch::cat({angles.select(1, 0), angles.select(1, 1)}, -1);
  angles = torch::cat({angles, angles}, -1);  // [N, head_dim]
  at::Tensor cos = angles.cos(), sin = angles.sin();

  // Full attention never crosses a temporal patch: one segment per frame group.
  std::vector<std::int64_t> frames;
  for (std::int64_t t = 0; t <= g.t; ++t) frames.push_back(t * g.h * g.w);
  std::vector<std::int64_t> windows;
  at::Tensor order;
  auto by_window = [&](const at::Tensor& t) {  // permutes whole merge blocks
    return t.view({N / unit, unit, -1}).index_select(0, order).view({N, -1});
  };
  if (config_.is_2_5) {
    VisionWindows layout = vision_windows(g, m, v.window_size, v.patch_size);
    order = torch::tensor(layout.index, torch::kLong).to(device);
    windows = std::move(layout.cu_seqlens);
    x = by_window(x);
    cos = by_window(cos);
    sin = by_window(sin);
  }
  const auto& full_blocks = v.fullatt_block_indexes;
  for (std::size_t b = 0; b < w.blocks.size(); ++b) {
    const VisionBlockWeights& l = w.blocks[b];
    const bool full = !config_.is_2_5 || std::find(full_blocks.begin(), full_blocks.end(),
                                                   static_cast<std::int64_t>(b)) != full_blocks.end();
    at::Tensor h = norm(x, l.norm1_w, l.norm1_b);
    x = x + at::linear(segment_attention(h, l, cos, sin, full ? frames : windows, heads), l.proj_w,
                       l.proj_b);
    x = x + mlp(norm(x, l.norm2_w, l.norm2_b), l, v.hidden_act);
  }
  at::Tensor merged = norm(x, w.merger_norm_w, w.merger_norm_b).reshape({N / unit, unit * E});
  merged = at::linear(F::gelu(at::linear(merged, w.merger_w0, w.merger_b0)), w.merger_w2, w.merger_b2);
  if (config_.is_2_5) merged = merged.index_select(0, torch::argsort(order));
  return merged;
}

}  // namespace wq::models
