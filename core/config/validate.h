// Validation of one resolved run config against the registered schemas. It runs before
// anything is executed and collects every problem instead of stopping at the first.
//
// Each error is one line: "file:line: key: message (expected ...)".
// Checked: unknown top-level keys and unknown keys inside sections (with did-you-mean),
// unknown method/model/dataset/experiment names, types, numeric ranges (also of list
// elements), choices, missing required keys, and that Path values exist.
// On the way it fills in defaults from ParamSpec::default_yaml (origin "<default>") and
// writes ints, floats and bools in canonical spelling ("0x10" -> 16, "1e0" -> 1).
//
// Path lookup: a relative path is tried against the directory of the top config file
// first, then against the current directory.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/schema.h"
#include "core/config/source_map.h"

namespace wq {

struct ValidationContext {
  const SchemaSet* schemas = nullptr;  // nullptr: global_schemas()
  std::string base_dir;                // directory of the top config file
  std::string file;                    // top file name (origin of keys with no better one)
};

// A Path value found on disk: written back into the config after the run id is computed,
// so that ids do not depend on where the checkout lives.
struct ResolvedPath {
  std::vector<std::string> path;  // {"model", "path"}
  std::string resolved;           // absolute path
};

// Identity of the files a run's sections read, by section ("model" -> checkpoint fingerprint);
// see RegistryEntry::inspect_inputs.
using InputIdentities = std::map<std::string, std::string>;

// Validates (and completes) a whole run config in place; appends messages to `errors`. When
// `identities` is given it receives what the sections' inspect_inputs returned.
std::vector<ResolvedPath> validate_run(YAML::Node config, SourceMap& sources, const ValidationContext& context,
                                       std::vector<std::string>& errors, InputIdentities* identities = nullptr);

// Validates one parameter map against `specs`; `key_prefix` is its dotted key ("method").
// Exposed for experiments that keep a nested parameter map of their own.
void validate_params(YAML::Node values, const std::vector<ParamSpec>& specs, const std::string& key_prefix,
                     SourceMap& sources, const ValidationContext& context, std::vector<std::string>& errors,
                     std::vector<ResolvedPath>* resolved_paths = nullptr, const std::string& selector = "");

// Absolute path of `value` looked up as documented above, or "" when it exists in neither.
std::string resolve_config_path(const std::string& value, const std::string& base_dir);

// Top-level keys a config may have.
const std::vector<std::string>& top_level_keys();
// Parameters of the top-level `cache:` section (cache.mode).
const std::vector<ParamSpec>& cache_section_params();

}  // namespace wq
