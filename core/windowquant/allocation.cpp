// Budget allocation rules (see allocation.h).
#include "core/windowquant/allocation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "core/method/kv_method.h"

namespace wq::windowquant {
namespace {

void check(const AllocationProblem& p) {
  if (p.sizes.size() != p.scores.size()) throw std::invalid_argument("allocation: sizes and scores differ in length");
  if (p.width_cost.empty()) throw std::invalid_argument("allocation: no widths");
  for (size_t i = 1; i < p.width_cost.size(); ++i)
    if (!(p.width_cost[i] < p.width_cost[i - 1]))
      throw std::invalid_argument("allocation: widths must be listed widest first, each cheaper than the last");
}

}  // namespace

void require_feasible(const AllocationProblem& problem, const std::string& method, double budget_bits,
                      int visual_tokens, const std::string& kind) {
  double floor_cost = 0;
  for (int size : problem.sizes) floor_cost += problem.width_cost.back() * size;
  if (floor_cost <= problem.budget + 1e-9) return;
  const double fixed = budget_bits * visual_tokens - problem.budget;
  throw methods::BudgetInfeasible(method, budget_bits, (floor_cost + fixed) / visual_tokens, kind);
}

std::vector<int> rank_units(const std::vector<double>& scores) {
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return scores[static_cast<size_t>(a)] > scores[static_cast<size_t>(b)]; });
  return order;
}

double allocation_cost(const AllocationProblem& p, const std::vector<int>& widths) {
  double total = 0;
  for (size_t u = 0; u < widths.size(); ++u) total += p.sizes[u] * p.width_cost[static_cast<size_t>(widths[u])];
  return total;
}

// Every unit at the last (cheapest) width, and what the budget leaves beyond that floor.
std::vector<int> at_floor(const AllocationProblem& p, double& remaining) {
  check(p);
  std::vector<int> widths(p.sizes.size(), static_cast<int>(p.width_cost.size()) - 1);
  remaining = p.budget - allocation_cost(p, widths);
  return widths;
}

std::vector<int> allocate_budget_exact(const AllocationProblem& p) {
  double remaining = 0;
  std::vector<int> widths = at_floor(p, remaining);
  if (remaining <= 0) return widths;
  const int floor_width = static_cast<int>(p.width_cost.size()) - 1;
  for (int u : rank_units(p.scores)) {
    const double base = p.sizes[static_cast<size_t>(u)] * p.width_cost.back();
    for (int w = 0; w < floor_width; ++w) {
      const double extra = p.sizes[static_cast<size_t>(u)] * p.width_cost[static_cast<size_t>(w)] - base;
      if (extra <= remaining) {
        widths[static_cast<size_t>(u)] = w;
        remaining -= extra;
        break;
      }
    }
  }
  return widths;
}

std::vector<int> allocate_water_fill(const AllocationProblem& p) {
  double remaining = 0;
  std::vector<int> widths = at_floor(p, remaining);
  if (remaining <= 0) return widths;
  const int floor_width = static_cast<int>(p.width_cost.size()) - 1;
  const std::vector<int> ranked = rank_units(p.scores);
  for (int level = floor_width - 1; level >= 0; --level) {
    bool everyone_rose = true;
    for (int u : ranked) {
      const auto unit = static_cast<size_t>(u);
      const double extra = p.sizes[unit] * (p.width_cost[static_cast<size_t>(level)] - p.width_cost[static_cast<size_t>(level + 1)]);
      if (extra <= remaining) {
        widths[unit] = level;
        remaining -= extra;
      } else {
        everyone_rose = false;
      }
    }
    if (!everyone_rose) break;
  }
  return widths;
}

std::vector<int> allocate_tiers(const AllocationProblem& p, const std::vector<double>& top_fractions) {
  check(p);
  const int n_widths = static_cast<int>(p.width_cost.size());
  const size_t n = p.sizes.size();
  if (n_widths == 1) return std::vector<int>(n, 0);
  // No fractions given for three or more widths: let the budget decide every tier, greedily
  // by rank (the budget_exact rule), rather than leave the widest widths unused.
  if (top_fractions.empty() && n_widths > 2) return allocate_budget_exact(p);
  if (static_cast<int>(top_fractions.size()) != n_widths - 2)
    throw std::invalid_argument("allocation: tiers needs " + std::to_string(n_widths - 2) +
                                " top_fractions for " + std::to_string(n_widths) + " widths");
  const std::vector<int> ranked = rank_units(p.scores);
  for (int step = 20; step >= 0; --step) {
    const double shrink = step / 20.0;
    std::vector<int> widths(n, n_widths - 1);
    size_t next = 0;
    for (int w = 0; w < n_widths - 2; ++w) {
      const size_t count = static_cast<size_t>(std::floor(top_fractions[static_cast<size_t>(w)] * shrink * n));
      for (size_t i = 0; i < count && next < n; ++i) widths[static_cast<size_t>(ranked[next++])] = w;
    }
    double spend = allocation_cost(p, widths);
    if (spend > p.budget && step > 0) continue;
    // The rest: as many of the best remaining units as the budget affords at the second-last
    // width, in rank order, stopping at the first that does not fit (tiers stay contiguous in rank).
    const double step_gain = p.width_cost[static_cast<size_t>(n_widths - 2)] - p.width_cost.back();
    for (; next < n; ++next) {
      const int u = ranked[next];
      const double extra = p.sizes[static_cast<size_t>(u)] * step_gain;
      if (spend + extra > p.budget) break;
      widths[static_cast<size_t>(u)] = n_widths - 2;
      spend += extra;
    }
    return widths;
  }
  return std::vector<int>(n, n_widths - 1);
}

}  // namespace wq::windowquant
