// The findings of a sensitivity run, whatever produced the damages (synthetic caches or a
// real model): per sample, the rank correlation of damage with the similarity score and with
// ground-truth relevance, mean damage of relevant and other windows, and whether the
// top-scored windows are the relevant ones.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace wq {

class SensitivitySummary {
 public:
  // One sample's windows: similarity score, damage and relevance (1 = holds evidence).
  void add_sample(const std::vector<double>& scores, const std::vector<double>& damages,
                  const std::vector<double>& relevance);
  // spearman_similarity_damage, spearman_relevance_damage, spearman_similarity_relevance,
  // damage_relevant_mean, damage_other_mean, evidence_recall_at_k (means over samples of
  // finite values; NaN when none).
  void write(std::map<std::string, double>& metrics) const;

 private:
  std::vector<double> score_rho_, truth_rho_, score_truth_rho_, relevant_damage_, other_damage_;
  double top_hits_ = 0, top_total_ = 0;
};

}  // namespace wq
