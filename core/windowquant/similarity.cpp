// Window similarity functions (see similarity.h).
#include "core/windowquant/similarity.h"

#include <cmath>
#include <stdexcept>

#include "core/method/method_common.h"

namespace wq::windowquant {
namespace {

double cosine(const std::vector<double>& a, const std::vector<double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  // A zero vector has no direction: score it 0 (neither similar nor dissimilar).
  return na > 0 && nb > 0 ? dot / std::sqrt(na * nb) : 0.0;
}

// Mean of rows[index] of a [rows][width] matrix.
template <class Index>
std::vector<double> mean_rows(const float* rows, int width, const Index& index) {
  std::vector<double> mean(static_cast<size_t>(width), 0.0);
  for (int r : index)
    for (int c = 0; c < width; ++c) mean[static_cast<size_t>(c)] += rows[static_cast<size_t>(r) * width + c];
  for (double& m : mean) m /= std::max<size_t>(1, index.size());
  return mean;
}

std::vector<double> embedding_row(const methods::ContextDescription& ctx, const std::vector<Window>& windows) {
  if (!ctx.has_embeddings()) throw std::invalid_argument("windowquant: embedding_cosine needs input embeddings");
  std::vector<int> all_query(static_cast<size_t>(ctx.num_query()));
  for (int i = 0; i < ctx.num_query(); ++i) all_query[static_cast<size_t>(i)] = i;
  const std::vector<double> query = mean_rows(ctx.query_embeddings.data(), ctx.hidden, all_query);
  std::vector<double> row;
  for (const Window& w : windows) row.push_back(cosine(mean_rows(ctx.visual_embeddings.data(), ctx.hidden, w.visual_index), query));
  return row;
}

std::vector<double> key_query_row(const cache::FullKv& kv, const methods::ContextDescription& ctx,
                                  const std::vector<Window>& windows, int layer) {
  if (!ctx.has_probe()) throw std::invalid_argument("windowquant: key_query needs probe queries");
  const int q = ctx.num_query(), d = kv.head_dim, group = ctx.probe_heads / kv.kv_heads;
  std::vector<int> all_query(static_cast<size_t>(q));
  for (int i = 0; i < q; ++i) all_query[static_cast<size_t>(i)] = i;
  std::vector<std::vector<double>> mean_query;  // [probe_heads][D]
  for (int h = 0; h < ctx.probe_heads; ++h)
    mean_query.push_back(mean_rows(ctx.probe_queries[static_cast<size_t>(layer)].data() + static_cast<size_t>(h) * q * d, d, all_query));
  std::vector<double> row;
  for (const Window& w : windows) {
    double score = 0;
    for (int kvh = 0; kvh < kv.kv_heads; ++kvh) {
      const std::vector<double> mean_key = mean_rows(kv.k_head(layer, kvh), d, w.positions);
      for (int g = 0; g < group; ++g) score += cosine(mean_key, mean_query[static_cast<size_t>(kvh * group + g)]);
    }
    row.push_back(score / ctx.probe_heads);
  }
  return row;
}

std::vector<double> attention_row(const cache::FullKv& kv, const methods::ContextDescription& ctx,
                                  const std::vector<Window>& windows, int layer) {
  const std::vector<double> mass = methods::probe_attention_mass(kv, ctx, layer);
  std::vector<double> row;
  for (const Window& w : windows) {
    double sum = 0;
    for (int p : w.positions) sum += mass[static_cast<size_t>(p)];
    row.push_back(sum / std::max(1, w.size()));
  }
  return row;
}

}  // namespace

Similarity parse_similarity(const std::string& name) {
  if (name == "embedding_cosine") return Similarity::embedding_cosine;
  if (name == "key_query") return Similarity::key_query;
  if (name == "attention_mass") return Similarity::attention_mass;
  throw std::invalid_argument("windowquant: unknown similarity '" + name + "'");
}

bool per_layer(Similarity similarity) { return similarity != Similarity::embedding_cosine; }

std::vector<std::vector<double>> window_scores(Similarity similarity, const cache::FullKv& kv,
                                               const methods::ContextDescription& ctx, const std::vector<Window>& windows) {
  if (similarity == Similarity::embedding_cosine) return {embedding_row(ctx, windows)};
  std::vector<std::vector<double>> rows;
  for (int layer = 0; layer < kv.layers; ++layer)
    rows.push_back(similarity == Similarity::key_query ? key_query_row(kv, ctx, windows, layer)
                                                       : attention_row(kv, ctx, windows, layer));
  return rows;
}

}  // namespace wq::windowquant
