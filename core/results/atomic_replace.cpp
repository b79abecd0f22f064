#include "core/results/atomic_replace.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <signal.h>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace wq {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("cannot open for fsync", path);
  const int result = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (result != 0) fail("fsync failed on", path);
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

CommitLock::CommitLock(const std::string& path) {
  const std::string lock_path = path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open lock file", lock_path);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    // Filesystems without flock (some NFS/Lustre mounts): go on unlocked. The lock only
    // guards against two writers of one file, which a sharded sweep never has; the
    // rename-based commit stays atomic either way.
    if (errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOSYS) return;
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    fail("cannot lock", lock_path);
  }
}

CommitLock::~CommitLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

std::string temp_path_for(const std::string& path) {
  return path + ".tmp-" + std::to_string(::getpid());
}

int remove_stale_temps(const std::string& path) {
  const std::string directory = directory_of(path);
  const std::string prefix = base_name(path) + ".tmp-";
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return 0;
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    // Our own temp is stale too: the lock is held, so no commit of ours is under way.
    const bool alive = pid != ::getpid() && (::kill(pid, 0) == 0 || errno == EPERM);
    if (!alive) stale.push_back(directory + "/" + name);
  }
  ::closedir(dir);
  int removed = 0;
  for (const auto& file : stale) removed += ::unlink(file.c_str()) == 0 ? 1 : 0;
  return removed;
}

void copy_file_contents(const std::string& from, const std::string& to) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail("cannot read", from);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    const int saved = errno;
    ::close(in);
    errno = saved;
    fail("cannot create", to);
  }
  std::vector<char> buffer(1 << 20);
  bool ok = true;
  while (ok) {
    const ssize_t count = ::read(in, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      ok = count == 0;
      break;
    }
    for (ssize_t done = 0; done < count;) {
      const ssize_t written = ::write(out, buffer.data() + done, static_cast<size_t>(count - done));
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) {
        ok = false;
        break;
      }
      done += written;
    }
  }
  const int saved = errno;
  ::close(in);
  ::close(out);
  errno = saved;
  if (!ok) fail("cannot copy to", to);
}

void durable_replace(const std::string& temp, const std::string& path) {
  fsync_path(temp, O_RDONLY);
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot rename over", path);
  // The rename itself lives in the directory; without this a power loss could undo it.
  fsync_path(directory_of(path), O_RDONLY | O_DIRECTORY);
}

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

}  // namespace wq
