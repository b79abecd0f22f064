// Where and how a results file was produced: the root attributes of the HDF5 file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace wq {

// Bumped whenever the layout in docs/results-schema.md changes incompatibly.
constexpr int64_t kResultsSchemaVersion = 1;

struct Provenance {
  int64_t schema_version = kResultsSchemaVersion;
  std::string sweep_name;
  // Caller-given hash of the full list of run ids of the sweep (see sweep_fingerprint());
  // shards of one sweep share it, and merge_results refuses files whose values differ.
  std::string sweep_fingerprint;
  std::string git_commit = "unknown";
  bool git_dirty = false;
  std::string host = "unknown";
  std::string cpu_model = "unknown";
  std::string gpu_name = "none";
  std::string torch_version = "none";
  std::string cuda_version = "none";
  std::string wq_version = "unknown";
  std::vector<std::string> argv;
  std::string created_at, updated_at;  // ISO-8601 UTC
  int64_t seed = 0;
  // Further root attributes (string-valued); readers ignore names they do not know.
  std::map<std::string, std::string> extra;
};

// Gathers the provenance of the current process: the git commit, dirty flag (tracked files
// changed) and version of the sources this library was built from, recorded at build time by
// cmake/build_info.cmake ("unknown" when built outside a git checkout), hostname, CPU model, GPU names from nvidia-smi ("none" without it), LibTorch and CUDA
// versions this library was built with, and created_at = updated_at = now.
Provenance collect_provenance(const std::vector<std::string>& argv, int64_t seed,
                              const std::string& sweep_name);
// Same, from main()'s arguments.
Provenance collect_provenance(int argc, const char* const* argv, int64_t seed,
                              const std::string& sweep_name);

// Stable fingerprint of a sweep: FNV-1a 64 of the run ids in the given order, as 16 hex
// digits. Every shard computes it from the full (unsharded) list of run ids.
std::string sweep_fingerprint(const std::vector<std::string>& run_ids);

// Current time as ISO-8601 UTC with seconds, e.g. "2024-05-01T12:34:56Z".
std::string utc_now_iso8601();

}  // namespace wq
