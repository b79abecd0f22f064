// The sweep runner behind `wq run`: validated runs in, one HDF5 results file out.
// Runs execute in expansion order; each run is committed atomically when it starts
// (status running) and when it ends (complete, partial, skipped or failed), so a sweep killed
// at any moment loses at most the run in progress and `--resume` redoes what is not complete
// or skipped (a partial run is redone: the videos it could not read may be there now).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config/load_sweep.h"
#include "core/results/run_record.h"
#include "experiments/experiment.h"

namespace wq {

struct RunnerOptions {
  std::vector<std::string> overrides;  // "key=value" from the command line
  bool dry_run = false;
  bool resume = false;
  std::optional<Shard> shard;
  std::string output;                  // overrides the sweep's output path
  std::vector<std::string> argv;       // recorded as provenance
};

struct SweepOutcome {
  std::string output;  // the results file written
  size_t complete = 0, failed = 0;
  size_t skipped = 0;       // runs recorded as skipped (a budget the method cannot meet)
  size_t partial = 0;       // runs with more failed samples than dataset.max_failed_samples
  size_t already_done = 0;  // --resume: runs the file already held complete or skipped
};

// Output path of a sweep under the options: --out wins, else the config's output; a shard
// writes "<stem>.shard-<i>-of-<N>.h5" beside it so shards never share a file.
std::string sweep_output_path(const Sweep& sweep, const RunnerOptions& options);

// Loads, validates and runs `config_path`. Throws ConfigError for bad configs (before any
// run starts) and std::runtime_error for a results file that belongs to another sweep or
// that exists without --resume.
SweepOutcome run_sweep(const std::string& config_path, const RunnerOptions& options);

// One line per run of the sweep that will be skipped, as far as its experiment can know
// without running (Experiment::foresee): "<run name>: <reason>". Printed by --dry-run and
// `wq validate`.
std::vector<std::string> foreseen_skips(const std::vector<ResolvedRun>& runs);

// Executes one run and returns its record (complete, or failed with the error text).
RunRecord execute_run(const ResolvedRun& run, ProgressSink& progress);

}  // namespace wq
