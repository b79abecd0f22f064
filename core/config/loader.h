// Reading a config: a YAML file (or text), its `defaults:` includes, and dotted-key
// overrides from the command line. No schema knowledge here; see validate.h and sweep.h.
//
//   defaults: base.yaml            # or a list; paths relative to the including file
//   defaults: [../models/proxy.yaml, ../methods/kivi_2bit.yaml]
//
// Defaults are deep-merged in order (later ones win), then the including file wins over
// all of them. An include cycle is an error that names the whole chain.
#pragma once

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/config/source_map.h"

namespace wq {

// Files bigger than this are refused (a config is a few kB; this also stops reads of
// /dev/zero and friends named by mistake or by a fuzzer).
inline constexpr size_t kMaxConfigFileBytes = 4u << 20;
inline constexpr size_t kMaxIncludeDepth = 32;

struct LoadedConfig {
  YAML::Node root;        // merged map; `defaults` resolved and removed
  SourceMap sources;      // dotted key -> "file:line"
  std::string file;       // the top file as given (or the origin name of text)
  std::string base_dir;   // its directory: relative Path params are looked up here first
};

// Throws ConfigError for unreadable files, YAML syntax errors, include cycles, bad
// `defaults:` entries and inputs over the limits of yaml_tree.h.
LoadedConfig load_config_file(const std::string& path);
// `origin` names the text in messages; includes are resolved against `base_dir`.
LoadedConfig load_config_text(const std::string& text, const std::string& origin, const std::string& base_dir);

struct Override {
  std::vector<std::string> path;  // {"method", "bits"}; {"sweep", "grid", "method.bits"} for grid axes
  std::string key;                // as written before '='
  YAML::Node value;               // the text after '=' read as YAML ("2", "[2, 4]", "{a: 1}")
};

// Parses "method.bits=2" style overrides. `sweep.grid.<dotted key>=[...]` addresses one
// grid axis (its key keeps its dots). Throws ConfigError listing every malformed one.
std::vector<Override> parse_overrides(const std::vector<std::string>& texts);

}  // namespace wq
