#include "experiments/synthetic_kv.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace wq {
namespace {

// std::normal_distribution differs between standard libraries; Box-Muller over mt19937_64
// keeps every generated cache identical across machines.
class Gaussian {
 public:
  explicit Gaussian(uint64_t seed) : engine_(seed) {}
  double operator()() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0;
    while (u1 <= 0) u1 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * M_PI * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  double uniform() { return double(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  uint64_t below(uint64_t n) { return engine_() % n; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

using Matrix = std::vector<float>;  // row-major

Matrix random_matrix(Gaussian& gauss, int rows, int cols, double stddev) {
  Matrix m(size_t(rows) * cols);
  for (auto& x : m) x = float(gauss() * stddev);
  return m;
}

// out[r] = Σ_c m[r][c] · x[c]
void mat_vec(const Matrix& m, int rows, int cols, const float* x, float* out) {
  for (int r = 0; r < rows; ++r) {
    double sum = 0;
    for (int c = 0; c < cols; ++c) sum += double(m[size_t(r) * cols + c]) * x[c];
    out[r] = float(sum);
  }
}

void check(const SyntheticKvOptions& o) {
  auto positive = [](int value, const char* name) {
    if (value <= 0) throw std::invalid_argument(std::string("synthetic kv: ") + name + " must be > 0");
  };
  positive(o.layers, "layers");
  positive(o.kv_heads, "kv_heads");
  positive(o.q_heads, "q_heads");
  positive(o.head_dim, "head_dim");
  positive(o.hidden, "hidden");
  positive(o.frames, "frames");
  positive(o.tokens_per_frame, "tokens_per_frame");
  positive(o.query_tokens, "query_tokens");
  if (o.q_heads % o.kv_heads != 0)
    throw std::invalid_argument("synthetic kv: q_heads must be a multiple of kv_heads");
  if (o.relevant_frames < 1 || o.relevant_frames > o.frames)
    throw std::invalid_argument("synthetic kv: relevant_frames must be in [1, frames]");
  if (o.outlier_channels < 0 || o.outlier_channels > o.head_dim)
    throw std::invalid_argument("synthetic kv: outlier_channels must be in [0, head_dim]");
  if (o.text_prefix < 1) throw std::invalid_argument("synthetic kv: text_prefix must be >= 1 (the sink)");
}

// Frame contents: a random walk of near-duplicates with occasional scene cuts.
std::vector<std::vector<float>> frame_contents(Gaussian& gauss, const SyntheticKvOptions& o) {
  std::vector<std::vector<float>> frames(o.frames, std::vector<float>(o.hidden));
  const double keep = std::sqrt(1.0 - o.frame_noise * o.frame_noise);
  for (int f = 0; f < o.frames; ++f) {
    const bool fresh = f == 0 || gauss.uniform() < o.scene_cut_prob;
    for (int e = 0; e < o.hidden; ++e)
      frames[f][e] = float(fresh ? gauss() : keep * frames[f - 1][e] + o.frame_noise * gauss());
  }
  return frames;
}

std::vector<int> pick_relevant(Gaussian& gauss, const SyntheticKvOptions& o) {
  std::vector<int> all(o.frames);
  std::iota(all.begin(), all.end(), 0);
  for (int i = o.frames - 1; i > 0; --i) std::swap(all[i], all[gauss.below(uint64_t(i) + 1)]);
  std::vector<int> picked(all.begin(), all.begin() + o.relevant_frames);
  std::sort(picked.begin(), picked.end());
  return picked;
}

}  // namespace

SyntheticKv make_synthetic_kv(const SyntheticKvOptions& o) {
  check(o);
  Gaussian gauss(o.seed * 0x9E3779B97F4A7C15ull + 1);
  const int visual = o.frames * o.tokens_per_frame;
  const int tokens = o.text_prefix + visual;
  const int E = o.hidden, D = o.head_dim;

  SyntheticKv out;
  out.relevant_frames = pick_relevant(gauss, o);
  const auto frames = frame_contents(gauss, o);
  const Matrix spatial = random_matrix(gauss, o.tokens_per_frame, E, 0.5);

  // Input embeddings of every context token: text prefix, then frame after frame.
  Matrix embeddings(size_t(tokens) * E);
  for (int t = 0; t < o.text_prefix; ++t)
    for (int e = 0; e < E; ++e) embeddings[size_t(t) * E + e] = float(gauss());
  auto& ctx = out.context;
  ctx.context_tokens = tokens;
  ctx.hidden = E;
  for (int f = 0; f < o.frames; ++f) {
    for (int p = 0; p < o.tokens_per_frame; ++p) {
      const int t = o.text_prefix + f * o.tokens_per_frame + p;
      for (int e = 0; e < E; ++e)
        embeddings[size_t(t) * E + e] = frames[f][e] + spatial[size_t(p) * E + e] + float(0.2 * gauss());
      ctx.visual_positions.push_back(t);
      ctx.frame_index.push_back(f);
      ctx.spatial_index.push_back(p);
    }
  }
  ctx.visual_embeddings.assign(embeddings.begin() + size_t(o.text_prefix) * E, embeddings.end());

  // Query embeddings point at the mean content of the relevant frames.
  for (int j = 0; j < o.query_tokens; ++j) {
    ctx.query_token_ids.push_back(1000 + j);
    for (int e = 0; e < E; ++e) {
      double focus = 0;
      for (int f : out.relevant_frames) focus += frames[f][e];
      ctx.query_embeddings.push_back(float(focus / out.relevant_frames.size() + 0.5 * gauss()));
    }
  }

  out.kv = cache::FullKv(o.layers, o.kv_heads, tokens, D);
  ctx.probe_heads = o.q_heads;
  const int group = o.q_heads / o.kv_heads;
  for (int layer = 0; layer < o.layers; ++layer) {
    // One set of outlier channels per layer, shared by its heads (as in real keys).
    std::vector<float> channel_scale(D, 1.0f);
    for (int i = 0; i < o.outlier_channels; ++i)
      channel_scale[gauss.below(D)] = float(o.outlier_scale * (0.5 + gauss.uniform()));
    std::vector<float> probe(size_t(o.q_heads) * o.query_tokens * D);
    for (int head = 0; head < o.kv_heads; ++head) {
      const Matrix w_k = random_matrix(gauss, D, E, 1.0 / std::sqrt(double(E)));
      const Matrix w_v = random_matrix(gauss, D, E, 1.0 / std::sqrt(double(E)));
      float* k = out.kv.k_head(layer, head);
      float* v = out.kv.v_head(layer, head);
      for (int t = 0; t < tokens; ++t) {
        mat_vec(w_k, D, E, &embeddings[size_t(t) * E], k + size_t(t) * D);
        mat_vec(w_v, D, E, &embeddings[size_t(t) * E], v + size_t(t) * D);
        for (int d = 0; d < D; ++d) k[size_t(t) * D + d] *= channel_scale[d];
      }
      for (int g = 0; g < group; ++g) {
        const int q_head = head * group + g;
        const Matrix w_q_noise = random_matrix(gauss, D, E, 0.3 / std::sqrt(double(E)));
        for (int j = 0; j < o.query_tokens; ++j) {
          float* q = &probe[(size_t(q_head) * o.query_tokens + j) * D];
          std::vector<float> noise(D);
          mat_vec(w_k, D, E, &ctx.query_embeddings[size_t(j) * E], q);
          mat_vec(w_q_noise, D, E, &ctx.query_embeddings[size_t(j) * E], noise.data());
          // Outlier key channels do not carry the query's intent: divide them out so
          // attention reflects content, not the channels that make quantization hard.
          double norm = 0;
          for (int d = 0; d < D; ++d) {
            q[d] = (q[d] + noise[d]) / channel_scale[d];
            norm += double(q[d]) * q[d];
          }
          const double scale = o.query_focus * std::sqrt(double(D)) / (std::sqrt(norm) * std::sqrt(double(E)));
          for (int d = 0; d < D; ++d) q[d] = float(q[d] * scale);
        }
      }
      // Token 0 is an attention sink: a key aligned with the mean query of this head's group.
      std::vector<double> mean_q(D, 0.0);
      for (int g = 0; g < group; ++g)
        for (int j = 0; j < o.query_tokens; ++j)
          for (int d = 0; d < D; ++d)
            mean_q[d] += probe[(size_t(head * group + g) * o.query_tokens + j) * D + d];
      // Probe queries have norm focus·sqrt(D/E); this key length gives the sink a logit of
      // about 2·focus·cos(query, mean query).
      double norm = 0;
      for (double x : mean_q) norm += x * x;
      norm = std::sqrt(norm) + 1e-12;
      const double sink_length = 2.0 * std::sqrt(double(E));
      for (int d = 0; d < D; ++d) k[d] += float(sink_length * mean_q[d] / norm);
    }
    ctx.probe_queries.push_back(std::move(probe));
  }
  return out;
}

}  // namespace wq
