// File-system side of the copy-on-write commit: a per-file writer lock, temporary copies,
// and the fsync + rename() that makes a new version of a file appear atomically.
#pragma once

#include <string>

namespace wq {

// Exclusive advisory lock (flock) on `<path>.lock`, held for one commit so that two writers
// of one results file cannot lose each other's runs. Released by the kernel if the process
// dies, so a killed sweep never leaves a stuck lock.
class CommitLock {
 public:
  explicit CommitLock(const std::string& path);
  ~CommitLock();
  CommitLock(const CommitLock&) = delete;
  CommitLock& operator=(const CommitLock&) = delete;

 private:
  int fd_ = -1;
};

// `<path>.tmp-<pid>` of this process.
std::string temp_path_for(const std::string& path);

// Removes `<path>.tmp-<pid>` files whose process no longer runs on this host (left behind
// by a killed writer; they are never read). Call with the CommitLock held. Returns how many.
int remove_stale_temps(const std::string& path);

// Copies `from` to `to` (replacing it) byte for byte.
void copy_file_contents(const std::string& from, const std::string& to);

// fsyncs `temp`, renames it over `path` and fsyncs the directory, so that after a crash the
// path holds either the old or the new complete file, never a mix.
void durable_replace(const std::string& temp, const std::string& path);

bool file_exists(const std::string& path);

}  // namespace wq
