#include "experiments/sensitivity_summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "experiments/rank_correlation.h"

namespace wq {
namespace {

double finite_mean(const std::vector<double>& values) {
  double sum = 0;
  size_t n = 0;
  for (double x : values)
    if (std::isfinite(x)) sum += x, ++n;
  return n ? sum / double(n) : NAN;
}

}  // namespace

void SensitivitySummary::add_sample(const std::vector<double>& scores, const std::vector<double>& damages,
                                    const std::vector<double>& relevance) {
  score_rho_.push_back(spearman(scores, damages));
  truth_rho_.push_back(spearman(relevance, damages));
  score_truth_rho_.push_back(spearman(scores, relevance));
  for (size_t w = 0; w < damages.size(); ++w) (relevance[w] > 0 ? relevant_damage_ : other_damage_).push_back(damages[w]);
  // Do the top-scored windows hold the evidence? (as many as there are relevant windows)
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  const auto relevant_count = size_t(std::count_if(relevance.begin(), relevance.end(), [](double r) { return r > 0; }));
  for (size_t k = 0; k < relevant_count; ++k) top_hits_ += relevance[order[k]] > 0 ? 1.0 : 0.0;
  top_total_ += double(relevant_count);
}

void SensitivitySummary::write(std::map<std::string, double>& metrics) const {
  metrics["spearman_similarity_damage"] = finite_mean(score_rho_);
  metrics["spearman_relevance_damage"] = finite_mean(truth_rho_);
  metrics["spearman_similarity_relevance"] = finite_mean(score_truth_rho_);
  metrics["damage_relevant_mean"] = finite_mean(relevant_damage_);
  metrics["damage_other_mean"] = finite_mean(other_damage_);
  metrics["evidence_recall_at_k"] = top_total_ > 0 ? top_hits_ / top_total_ : NAN;
}

}  // namespace wq
