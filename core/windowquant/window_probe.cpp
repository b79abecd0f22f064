#include "core/windowquant/window_probe.h"

#include <stdexcept>
#include <string>

namespace wq {

WindowProbe::WindowProbe(windowquant::WindowUnit unit, int window_size, windowquant::Similarity similarity,
                         cache::TensorPlan key, cache::TensorPlan value)
    : unit_(unit), window_size_(window_size), similarity_(similarity), key_(std::move(key)), value_(std::move(value)) {}

std::vector<double> mean_window_scores(const std::vector<std::vector<double>>& rows) {
  std::vector<double> mean(rows.front().size(), 0.0);
  for (const auto& row : rows)
    for (size_t w = 0; w < row.size(); ++w) mean[w] += row[w] / double(rows.size());
  return mean;
}

cache::Plan WindowProbe::plan(const cache::FullKv& kv, const methods::ContextDescription& ctx) {
  const auto windows = windowquant::make_windows(ctx, ctx.num_visual(), unit_, window_size_);
  scores_ = mean_window_scores(windowquant::window_scores(similarity_, kv, ctx, windows));
  window_frames_.clear();
  window_positions_.clear();
  for (const auto& window : windows) {
    std::vector<int> frames;
    for (int v : window.visual_index)
      if (frames.empty() || frames.back() != ctx.frame_index[size_t(v)]) frames.push_back(ctx.frame_index[size_t(v)]);
    window_frames_.push_back(std::move(frames));
    window_positions_.push_back(window.positions);
  }
  cache::LayerPlan layer;
  if (selected_ >= 0) {
    if (selected_ >= int(windows.size()))
      throw std::out_of_range("window probe: window " + std::to_string(selected_) + " of " +
                              std::to_string(windows.size()));
    // A window's tokens are consecutive except where a family puts non-visual tokens between
    // frames (newline tokens): one piece per run of consecutive positions.
    const std::vector<int>& positions = windows[size_t(selected_)].positions;
    size_t run_start = 0;
    for (size_t i = 1; i <= positions.size(); ++i)
      if (i == positions.size() || positions[i] != positions[i - 1] + 1) {
        layer.pieces.push_back({positions[run_start], positions[i - 1] + 1, key_, value_});
        run_start = i;
      }
  }
  cache::Plan plan;
  plan.layers.push_back(std::move(layer));
  return plan;
}

}  // namespace wq
