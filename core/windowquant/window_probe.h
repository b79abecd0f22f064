// An instrument in the shape of a KV method: it cuts the visual tokens into windows as
// WindowQuant does, scores them with a WindowQuant similarity function, and quantizes ONLY
// the selected window (or nothing). The sensitivity experiment runs it once per window
// through the compress pipeline (and, source model, the evaluation protocol), so the damage
// is measured on the same path as every method. WindowQuant's public face for experiments:
// they need no window or similarity internals.
#pragma once

#include <vector>

#include "core/cache/plan.h"
#include "core/method/kv_method.h"
#include "core/windowquant/similarity.h"
#include "core/windowquant/windows.h"

namespace wq {

class WindowProbe : public methods::KvMethod {
 public:
  WindowProbe(windowquant::WindowUnit unit, int window_size, windowquant::Similarity similarity,
              cache::TensorPlan key, cache::TensorPlan value);

  // Window quantized by the next plan(); -1 = none (the full-precision reference run).
  void select(int window) { selected_ = window; }

  cache::Plan plan(const cache::FullKv& kv, const methods::ContextDescription& ctx) override;

  // Of the last plan(): one similarity score per window (mean over layers when the function
  // scores per layer) and the frame ordinals (0 = first sampled frame) each window covers.
  const std::vector<double>& scores() const { return scores_; }
  const std::vector<std::vector<int>>& window_frames() const { return window_frames_; }
  // Original token positions of each window of the last plan().
  const std::vector<std::vector<int>>& window_positions() const { return window_positions_; }

 private:
  windowquant::WindowUnit unit_;
  int window_size_;
  windowquant::Similarity similarity_;
  cache::TensorPlan key_, value_;
  int selected_ = -1;
  std::vector<double> scores_;
  std::vector<std::vector<int>> window_frames_;
  std::vector<std::vector<int>> window_positions_;
};

// One score per window: the similarity rows averaged (one row, or one per layer).
std::vector<double> mean_window_scores(const std::vector<std::vector<double>>& rows);

}  // namespace wq
