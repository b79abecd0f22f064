// Entry point for the runner: config file + command-line overrides -> validated runs.
//
//   wq::Sweep sweep = wq::load_sweep("configs/paper/mvbench_main.yaml", {"method.bits=2"});
//   for (size_t k = 0; k < sweep.runs.size(); ++k)
//     if (wq::in_shard(k, shard)) run(sweep.runs[k]);   // shard from wq::parse_shard("0/4")
//
// Everything is checked before anything runs; all problems of all runs come back together
// in one ConfigError (deduplicated, one line each). Run ids are unique: a run identical to
// an earlier one (e.g. after an override pinned an axis) is dropped, with a line in notes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/config_error.h"
#include "core/config/schema.h"
#include "core/config/source_map.h"
#include "core/config/sweep.h"

namespace wq {

// Copy runs freely, but do not assign over one or sort a vector of them in place:
// YAML::Node's operator= writes through to the node it refers to (a yaml-cpp quirk), so it
// would overwrite another run's config. Sort indices or pointers instead.
struct ResolvedRun {
  std::string id;      // 16 hex digits, stable across machines (see run_id in sweep.h)
  std::string name;    // readable, e.g. "kivi-2bit/method.group_size=32"
  YAML::Node config;   // validated: defaults filled, numbers canonical, Path values absolute
  std::shared_ptr<SourceMap> sources;
  // Identity of the files the run reads, by section (the checkpoint fingerprint under
  // "model"); part of the id, recorded with the run.
  std::map<std::string, std::string> inputs;
};

struct Sweep {
  std::string name;         // top-level `name` (default: the config file's stem)
  std::string description;  // top-level `description`, may be empty
  std::string output;       // HDF5 file (default: results/<name>.h5, relative to the current directory)
  std::string file;         // the config file as given
  YAML::Node config;        // merged config before expansion (sweep included), for provenance
  std::vector<ResolvedRun> runs;
  std::vector<std::string> notes;  // non-fatal remarks (dropped duplicate runs)
};

struct LoadOptions {
  size_t max_runs = kDefaultMaxRuns;
  const SchemaSet* schemas = nullptr;  // nullptr: global_schemas()
};

// Throws ConfigError with every problem found.
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides, const LoadOptions& options = {});
// Same from YAML text; `origin` names it in messages, includes and relative paths are
// resolved against `base_dir`.
Sweep load_sweep_text(const std::string& text, const std::string& origin, const std::string& base_dir,
                      const std::vector<std::string>& overrides, const LoadOptions& options = {});
// The sweep's runs that belong to `shard`, in expansion order.
std::vector<ResolvedRun> select_shard(const std::vector<ResolvedRun>& runs, const Shard& shard);

}  // namespace wq
