// Shared helpers of the results tests: a scratch directory and a fully populated record.
#pragma once

#include <string>

#include "core/results/provenance.h"
#include "core/results/run_record.h"

namespace wq::test {

// A fresh directory under the test temp dir, removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Provenance with fixed values (no git or nvidia-smi calls), so tests are deterministic.
Provenance fixed_provenance(const std::string& sweep_name, const std::string& fingerprint = "");

// A complete run with every column type, per-task metrics, notes, config and arrays; the
// values depend on `index` so that runs differ. `rows` sample rows.
RunRecord full_record(const std::string& run_id, int index, size_t rows = 4);

// Fails the calling test (ADD_FAILURE) on the first field where the records differ.
void expect_same_record(const RunRecord& expected, const RunRecord& actual);

// Files in `directory` whose names start with `prefix`.
int count_files_with_prefix(const std::string& directory, const std::string& prefix);

}  // namespace wq::test
