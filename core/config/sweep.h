// Sweep expansion: one loaded config with a `sweep:` section becomes a list of runs.
//
//   sweep:
//     max_samples: 20                        # sets dataset.max_samples in every run that has a dataset
//     variants:                              # default: one unnamed variant
//       - {name: kivi-2bit, set: {method: {name: kivi, bits: 2}}}   # a map value replaces the section
//       - {name: wq, set: {method.name: windowquant, method.budget: 2}}
//     grid:                                  # cartesian product, first key varies slowest
//       method.group_size: [32, 64]
//     zip:                                   # each group's lists vary together (equal lengths)
//       - {model.name: [proxy, qwen2vl], model.path: [a, b]}
//
// Runs = variants x grid x zip, in that nesting order (variants slowest). Within a run the
// edits are applied variant, grid, zip, max_samples, then command-line overrides last; an
// override of a swept key pins that axis (the axis is dropped, not expanded). See
// docs/configs.md for the full rules.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/loader.h"
#include "core/config/source_map.h"

namespace wq {

inline constexpr size_t kDefaultMaxRuns = 100000;

struct ExpandedRun {
  std::string name;    // "<variant>/<key>=<value>/..." or the sweep name when nothing varies
  YAML::Node config;   // the run's config, `sweep` removed; not validated yet
  std::shared_ptr<SourceMap> sources;
};

// Expands `loaded.root` (whose sweep overrides were already applied). `overrides` are the
// command-line edits of ordinary keys, applied last to every run. Appends one line per
// problem in the sweep section to `errors` and returns no runs when there is any.
std::vector<ExpandedRun> expand_sweep(const LoadedConfig& loaded, const std::vector<Override>& overrides,
                                      size_t max_runs, std::vector<std::string>& errors);

// 16 hex digits of FNV-1a over canonical_yaml(config) without the keys that do not change
// what a run computes: name, description and output. `inputs` (section -> identity of the
// files it reads, e.g. the checkpoint fingerprint) are hashed in too, so the same config over
// a replaced checkpoint is another run; without inputs the id is that of the config alone.
std::string run_id(const YAML::Node& config, const std::map<std::string, std::string>& inputs = {});

// `--shard i/N`: run k (0-based, in expansion order) belongs to shard k mod N.
struct Shard {
  size_t index = 0;
  size_t count = 1;
};
// Parses "i/N" with 0 <= i < N; throws ConfigError otherwise.
Shard parse_shard(const std::string& text);
inline bool in_shard(size_t run_position, const Shard& shard) { return run_position % shard.count == shard.index; }

}  // namespace wq
