// Shared fixtures of the config tests: a temporary directory for YAML files and a schema set
// built from test-only registries, so that these tests depend on no method, model, dataset
// or experiment of the real library.
#pragma once

#include <string>
#include <vector>

#include "core/config/load_sweep.h"
#include "core/config/schema.h"

namespace wq::config_test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to path()/relative (creating folders) and returns the full path.
  std::string write(const std::string& relative, const std::string& text) const;

 private:
  std::string path_;
};

// Schemas of the fake entries:
//   method kivi:        bits int [1,16] = 2, group_size int = 32, axis string {tokens, channels} = tokens
//   method windowquant: budget float [1,16] = 2, windows int list [>=1] = [4, 8], calib path = null,
//                       packed bool = false, transform string {none, fft, hadamard} = none, extra map = {}
//   model proxy:        path path (required), dtype string {fp32, fp16} = fp32
//   dataset synthetic:  root path = null, max_samples int [>=0] = 0, tasks string list {color, order, count} = []
//   dataset plain:      root path = null   (no max_samples)
//   experiment accuracy: protocol string {cached_video, full_prefill} = cached_video, max_new_tokens int [>=1] = 8
const SchemaSet& test_schemas();

LoadOptions test_options(size_t max_runs = kDefaultMaxRuns);

// load_sweep with test_schemas(); returns the ConfigError messages ({} when it loads).
std::vector<std::string> load_errors(const std::string& path, const std::vector<std::string>& overrides = {});

// True when some message contains every one of `parts`.
bool has_error(const std::vector<std::string>& messages, const std::vector<std::string>& parts);

}  // namespace wq::config_test
