// Frame-index rules of the references, reproduced to the index (tests/datasets snapshots).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace wq {

// Python 3 round() / np.round on a double: nearest integer, ties to even.
int64_t python_round(double value);

// MVBench get_index (video_chat2/mvbench.ipynb, MVBench_dataset.get_index):
//   start_idx = max(first_idx, round(start*fps)); end_idx = min(round(end*fps), max_frame)
//   seg = (end_idx - start_idx) / N; index_i = int(start_idx + seg/2 + round(seg*i))
// Without a bound the reference uses start = -100000 s, end = 100000 s.
// Videos: max_frame = frame_count - 1, first_idx = 0. Frame folders: max_frame = number of
// files, first_idx = 1 (files are numbered from 1).
std::vector<int64_t> mvbench_segment_indices(std::optional<std::pair<double, double>> bound,
                                             double fps, int64_t max_frame, int64_t first_idx,
                                             int num_segments);

// np.linspace(first, last, n, dtype=int): i*step + first with the last one set to `last`,
// truncated toward zero (lmms-eval's uniform sampling, `last` = frame_count - 1).
std::vector<int64_t> linspace_indices(int64_t first, int64_t last, int n);

}  // namespace wq
