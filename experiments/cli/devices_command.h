// `wq run CONFIG --devices 0,1,...`: one worker process per GPU on one machine.
//
// The parent validates the sweep, starts `wq run CONFIG --shard i/N --out OUTPUT` for each
// device i with CUDA_VISIBLE_DEVICES=<device i> (same overrides, --resume passed through),
// waits for all of them, then merges the shard files into OUTPUT with merge_results. The
// shard files (OUTPUT's stem + ".shard-<i>-of-<N>.h5") and each worker's log (same name,
// ".log") are kept: they are what a later --resume continues from. Without GPUs the devices
// are only labels, so the same command spreads a sweep over CPU processes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/results/merge_results.h"

namespace wq {

struct DevicesRequest {
  std::string config_path;
  std::vector<std::string> overrides;  // "key=value", passed unchanged to every worker
  std::vector<std::string> devices;    // CUDA_VISIBLE_DEVICES value of worker i
  bool resume = false;
  std::string output;                  // --out; empty: the config's output
  std::string wq_executable;           // empty: this process's own executable
};

struct DevicesOutcome {
  std::string output;                   // merged results file (absolute)
  std::vector<std::string> shard_files;  // one per worker, absolute
  std::vector<std::string> logs;         // worker i's stdout+stderr
  size_t workers_failed = 0;             // workers that exited non-zero or were killed
  MergeSummary merge;
};

// "0,1,3" -> {"0", "1", "3"}. Entries are trimmed; an empty list, an empty entry or a
// repeated device throws std::invalid_argument (two workers on one GPU is never intended).
std::vector<std::string> parse_device_list(const std::string& text);

// Absolute path of the running executable (/proc/self/exe), so workers and generated job
// scripts run exactly this build; falls back to `argv0` made absolute.
std::string self_executable_path(const char* argv0);

// Runs the sweep as above. Throws ConfigError for a bad config (before any worker starts)
// and std::runtime_error when OUTPUT exists without `resume`. Workers that fail do not stop
// the others; what they wrote is merged all the same, and workers_failed says so.
DevicesOutcome run_on_devices(const DevicesRequest& request);

}  // namespace wq
