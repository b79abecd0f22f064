// Edits of a config tree that keep its SourceMap in step: deep merging one config over
// another (for `defaults:`) and setting one dotted key (sweep axes, variants, overrides).
//
// One rule applies to both: when the selector of a section changes (method.name,
// model.name, dataset.name, experiment.kind), the section starts afresh, because keys
// written for the old entry mean nothing to the new one (they would only produce
// "unknown key" errors).
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/source_map.h"

namespace wq {

// Merges `top` over `base` in place: maps are merged key by key, anything else in `top`
// replaces what `base` has.
void merge_config(YAML::Node base, SourceMap& base_sources, const YAML::Node& top, const SourceMap& top_sources);

struct ConfigEdit {
  std::vector<std::string> path;  // {"method", "bits"}
  YAML::Node value;               // replaces the node at `path` (maps are not merged)
  std::string origin;             // origin recorded for the key itself
  // Where the keys inside `value` came from: entries of *value_sources at and below
  // `value_key` are copied below the edited key. Without them, inner keys inherit `origin`.
  const SourceMap* value_sources = nullptr;
  std::string value_key;
};

void apply_edit(YAML::Node root, SourceMap& sources, const ConfigEdit& edit);

// Applies edits in order, except that whole top-level keys go first and section selectors
// second, so that `method.name: kivi` in a list never wipes a `method.bits` set beside it.
void apply_edits(YAML::Node root, SourceMap& sources, const std::vector<ConfigEdit>& edits);

}  // namespace wq
