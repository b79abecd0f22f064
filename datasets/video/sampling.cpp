#include "datasets/video/sampling.h"

#include <cfenv>
#include <cmath>
#include <stdexcept>

namespace wq {

int64_t python_round(double value) {
  // nearbyint rounds in the current mode, which is round-to-nearest-even unless someone
  // changed it; Python's round(float) and numpy's rint both tie to even.
  if (std::fegetround() != FE_TONEAREST) throw std::logic_error("python_round: FP rounding mode changed");
  return static_cast<int64_t>(std::nearbyint(value));
}

std::vector<int64_t> mvbench_segment_indices(std::optional<std::pair<double, double>> bound,
                                             double fps, int64_t max_frame, int64_t first_idx,
                                             int num_segments) {
  if (num_segments <= 0) throw std::invalid_argument("num_segments must be positive");
  const double start = bound ? bound->first : -100000.0;
  const double end = bound ? bound->second : 100000.0;
  const int64_t start_idx = std::max(first_idx, python_round(start * fps));
  const int64_t end_idx = std::min(python_round(end * fps), max_frame);
  const double seg_size = static_cast<double>(end_idx - start_idx) / num_segments;
  std::vector<int64_t> out;
  out.reserve(num_segments);
  for (int i = 0; i < num_segments; ++i) {
    // Python evaluates (start_idx + seg/2) + np.round(seg*i) in doubles, then int() truncates.
    const double value = (static_cast<double>(start_idx) + seg_size / 2) +
                         static_cast<double>(python_round(seg_size * i));
    out.push_back(static_cast<int64_t>(std::trunc(value)));
  }
  return out;
}

std::vector<int64_t> linspace_indices(int64_t first, int64_t last, int n) {
  if (n <= 0) throw std::invalid_argument("linspace needs a positive count");
  std::vector<int64_t> out;
  out.reserve(n);
  if (n == 1) return {first};
  const double step = static_cast<double>(last - first) / (n - 1);
  for (int i = 0; i < n; ++i) {
    const double value = (i == n - 1) ? static_cast<double>(last) : i * step + static_cast<double>(first);
    out.push_back(static_cast<int64_t>(std::floor(value)));
  }
  return out;
}

}  // namespace wq
