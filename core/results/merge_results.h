// `wq merge`: combine the result files of the shards of one sweep (or, with --union, of
// several sweeps) into one file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace wq {

struct MergeSummary {
  size_t runs = 0;        // runs in the output
  size_t complete = 0;    // of which complete
  size_t duplicates = 0;  // run ids found in more than one input (one copy kept)
};

enum class MergeMode {
  ShardsOfOneSweep,  // inputs must share sweep_name and sweep_fingerprint
  // Any sweeps (e.g. an old file and the runs a grown sweep added elsewhere); refuses only a
  // run id present in two inputs with different configs (name, description, output and
  // absolute paths aside). The output's sweep_name lists the inputs' names ("; "-joined)
  // and its sweep_fingerprint is that of the union's run ids.
  UnionOfSweeps,
};

// Writes `output` (atomically, through a temporary file) with every run of `inputs`.
// Refuses (std::runtime_error) inputs the mode does not allow, and an existing `output`
// that is not one of the inputs (merge into a file by listing it).
// When a run id appears more than once: complete beats partial beats skipped beats failed
// beats running; among equals
// the later finished_at wins, then the earlier input. Root provenance comes from the first
// input; host, cpu_model, gpu_name and git_commit list every distinct value ("; "-joined),
// git_dirty is set if any input was dirty, created_at is the earliest, and the root
// attribute `merged_from` lists the inputs. Merging one file into a new one also compacts
// it (space of replaced runs is not copied). Runs are copied attribute by attribute and
// dataset by dataset (see h5_copy.h for why not H5Ocopy).
MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output,
                           MergeMode mode = MergeMode::ShardsOfOneSweep);

}  // namespace wq
