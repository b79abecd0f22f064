// Spearman rank correlation (ties get their average rank), for the sensitivity experiment.
#pragma once

#include <vector>

namespace wq {

// Ranks 1..n of `values`, ties sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& values);
// Pearson correlation of the average ranks; NaN when either side is constant or n < 2.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace wq
