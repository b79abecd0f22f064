// The fixed-width summary table that `wq show` prints for a results file.
#pragma once

#include <string>
#include <vector>

#include "core/results/provenance.h"
#include "core/results/run_record.h"

namespace wq {

// Reads `path` (runs without samples) and formats it: a provenance header line, one row per
// run in commit order (name, method, status, then the metric columns present in any run),
// and the first line of each failed run's error.
std::string format_results_table(const std::string& path);

// Same, from records already in memory (e.g. read with ReadDepth::Summary).
std::string format_results_table(const Provenance& provenance, const std::vector<RunRecord>& runs);

}  // namespace wq
