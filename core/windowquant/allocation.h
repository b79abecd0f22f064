// Bit-width allocation under an average budget: given units (windows, or tokens for the
// token-level baseline) with a size and an importance score, pick one width per unit so that
// the total cost stays within the budget. Shared by windowquant and token_mixed.
#pragma once

#include <string>
#include <vector>

namespace wq::windowquant {

struct AllocationProblem {
  std::vector<int> sizes;          // tokens per unit
  std::vector<double> scores;      // importance, higher first
  // Planning cost of one token at each width, widest first (strictly decreasing widths);
  // the last entry is the floor every unit gets.
  std::vector<double> width_cost;
  double budget = 0;               // total cost the units may spend: Σ size · cost <= budget
};

// Throws methods::BudgetInfeasible (as `method`, budget kind `kind`) when every unit at the
// last width already costs more than problem.budget. The method's budget is budget_bits per
// element over visual_tokens; what problem.budget leaves out of it (full-precision visual
// tokens, side storage) is part of the reported floor.
void require_feasible(const AllocationProblem& problem, const std::string& method, double budget_bits,
                      int visual_tokens, const std::string& kind);

// Unit indices by descending score; ties keep the lower index first (deterministic).
std::vector<int> rank_units(const std::vector<double>& scores);

// budget_exact (ours): every unit starts at the last (cheapest) width; then, in rank order,
// each unit is upgraded to the widest width the remaining budget affords (possibly none).
// When it returns, no single further upgrade of any unit fits, so the spend is within one
// unit's upgrade of the budget. Returns the width index per unit. If even the floor exceeds
// the budget every unit gets the floor (the methods refuse such a budget before allocating:
// methods::BudgetInfeasible).
std::vector<int> allocate_budget_exact(const AllocationProblem& problem);

// water_fill: level by level. Every unit starts at the last width; at each level, in score
// order, each unit still at the previous level rises one width if the remaining budget
// affords it; the next level starts only when every unit
// rose at this one, so no unit rises two widths while another has not risen one. Spreads
// the budget over many units instead of giving the top ones the widest width
// (budget_exact). Same return and floor rules as allocate_budget_exact.
std::vector<int> allocate_water_fill(const AllocationProblem& problem);

// tiers (paper-like): the top fractions of the ranking get the widest widths (top_fractions[i]
// for width i; one entry fewer than widths - 1, may be empty), and the rest is split between
// the last two widths with the largest count at the wider of them that fits the budget. If the
// fixed tiers alone do not fit, their fractions shrink (all by the same factor) until they do.
// Empty top_fractions with three or more widths: the budget_exact rule decides every tier.
std::vector<int> allocate_tiers(const AllocationProblem& problem, const std::vector<double>& top_fractions);

// Σ size · cost of an allocation.
double allocation_cost(const AllocationProblem& problem, const std::vector<int>& widths);

}  // namespace wq::windowquant
