// The results HDF5 file of one sweep (layout: docs/results-schema.md).
//
// Every change is a copy-on-write commit: the file is copied to `<path>.tmp-<pid>`, the copy
// is edited and closed, fsync'ed and renamed over the original. The file at `path` is
// therefore always a complete, valid HDF5 file: a sweep killed at any moment (SIGKILL
// included) loses at most the run it was writing, and readers never see a half-written run.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/results/provenance.h"
#include "core/results/run_record.h"

namespace H5 {
class H5File;
}

namespace wq {

class ResultsFile {
 public:
  // Opens `path` for a sweep, creating it (with `provenance` and an empty /runs) if absent.
  // An existing file must belong to the same sweep: a different non-empty sweep_name throws,
  // and so does a different sweep_fingerprint unless every run the file holds is one of
  // `sweep_run_ids` (the sweep grew: the file is extended). Its root provenance is then
  // replaced by `provenance` except created_at, which keeps the file's first value (each run
  // keeps its own writer stamp). Stale temporary copies left by killed writers are removed.
  static ResultsFile open_or_create(const std::string& path, const Provenance& provenance,
                                    const std::vector<std::string>& sweep_run_ids = {});
  // Opens an existing file for reading (throws if it is absent or not a results file).
  static ResultsFile open_existing(const std::string& path);

  const std::string& path() const { return path_; }

  // Adds `record` as /runs/<run_id>, replacing a run of the same id, in one atomic commit.
  // The run group also gets `writer_git_commit`, `writer_host` and `committed_at`.
  void commit_run(const RunRecord& record);

  // Every run in commit order (a replaced run moves to the end).
  std::vector<RunRecord> read_runs(ReadDepth depth = ReadDepth::Full) const;
  std::optional<RunRecord> read_run(const std::string& run_id,
                                    ReadDepth depth = ReadDepth::Full) const;
  // Status of one run, std::nullopt when the file has no such run.
  std::optional<RunStatus> run_status(const std::string& run_id) const;
  // Status of every run, in one pass (what `--resume` needs).
  std::map<std::string, RunStatus> run_statuses() const;

  Provenance provenance() const;
  // Replaces the root provenance (created_at kept, updated_at set to now).
  void update_provenance(const Provenance& provenance);

 private:
  explicit ResultsFile(std::string path) : path_(std::move(path)) {}
  // Copy-on-write commit of one edit of the file (see the header comment).
  void commit(const std::function<void(H5::H5File&)>& edit);

  std::string path_;
  std::string writer_git_commit_ = "unknown";
  std::string writer_host_ = "unknown";
};

}  // namespace wq
