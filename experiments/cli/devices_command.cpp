#include "experiments/cli/devices_command.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "core/config/load_sweep.h"
#include "experiments/runner.h"

namespace wq {
namespace {

namespace fs = std::filesystem;

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

struct Worker {
  std::string device, shard_file, log;
  std::vector<std::string> argv;
  pid_t pid = -1;
};

// fork + exec with the worker's stdout and stderr appended to its log (appended, so a
// resumed sweep keeps the history of earlier attempts). Only async-signal-safe calls
// happen between fork and exec.
pid_t spawn(const Worker& worker) {
  std::vector<char*> args;
  for (const auto& arg : worker.argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = ::open(worker.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open worker log " + worker.log);
  const std::string env_entry = "CUDA_VISIBLE_DEVICES=" + worker.device;
  std::vector<char*> env;
  for (char** entry = environ; *entry; ++entry)
    if (std::string(*entry).rfind("CUDA_VISIBLE_DEVICES=", 0) != 0) env.push_back(*entry);
  env.push_back(const_cast<char*>(env_entry.c_str()));
  env.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error("fork failed for the worker on device " + worker.device);
  }
  if (pid == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(args[0], args.data(), env.data());
    _exit(127);
  }
  ::close(log_fd);
  return pid;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

std::vector<std::string> parse_device_list(const std::string& text) {
  std::vector<std::string> devices;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string device = trim(text.substr(start, comma - start));
    if (device.empty()) throw std::invalid_argument("--devices '" + text + "': empty entry (expected e.g. 0,1,2,3)");
    if (device.find_first_of(" \t\n=") != std::string::npos)
      throw std::invalid_argument("--devices '" + text + "': bad device '" + device + "'");
    if (!seen.insert(device).second)
      throw std::invalid_argument("--devices '" + text + "': device " + device + " listed twice");
    devices.push_back(device);
    start = comma + 1;
  }
  return devices;
}

std::string self_executable_path(const char* argv0) {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) return self.string();
  return fs::absolute(argv0).string();
}

DevicesOutcome run_on_devices(const DevicesRequest& request) {
  if (request.devices.empty()) throw std::invalid_argument("--devices: no devices given");
  // Validate once here: a bad config must not start N workers that all fail the same way.
  const Sweep sweep = load_sweep(request.config_path, request.overrides);
  DevicesOutcome outcome;
  outcome.output = fs::absolute(request.output.empty() ? sweep.output : request.output).string();
  if (fs::exists(outcome.output) && !request.resume)
    throw std::runtime_error(outcome.output + ": results file exists; pass --resume to complete it, "
                             "or --out PATH to write elsewhere");
  if (!fs::path(outcome.output).parent_path().empty())
    fs::create_directories(fs::path(outcome.output).parent_path());

  const size_t count = request.devices.size();
  const std::string executable =
      request.wq_executable.empty() ? self_executable_path("wq") : request.wq_executable;
  std::vector<Worker> workers(count);
  for (size_t i = 0; i < count; ++i) {
    Worker& worker = workers[i];
    worker.device = request.devices[i];
    RunnerOptions shard_options;
    shard_options.output = outcome.output;
    shard_options.shard = Shard{i, count};
    // With one device the worker writes OUTPUT itself and there is nothing to merge.
    worker.shard_file = sweep_output_path(sweep, shard_options);
    worker.log = (fs::path(worker.shard_file).replace_extension(".log")).string();
    if (count == 1) worker.log = (fs::path(outcome.output).replace_extension(".worker.log")).string();
    worker.argv = {executable, "run", request.config_path};
    worker.argv.insert(worker.argv.end(), request.overrides.begin(), request.overrides.end());
    if (count > 1) {
      worker.argv.push_back("--shard");
      worker.argv.push_back(std::to_string(i) + "/" + std::to_string(count));
    }
    worker.argv.push_back("--out");
    worker.argv.push_back(outcome.output);
    if (request.resume) worker.argv.push_back("--resume");
    outcome.shard_files.push_back(worker.shard_file);
    outcome.logs.push_back(worker.log);
  }

  const auto started = std::chrono::steady_clock::now();
  std::map<pid_t, size_t> running;
  for (size_t i = 0; i < count; ++i) {
    workers[i].pid = spawn(workers[i]);
    running[workers[i].pid] = i;
    std::fprintf(stderr, "worker %zu/%zu: device %s, pid %d, log %s\n", i, count, workers[i].device.c_str(),
                 int(workers[i].pid), workers[i].log.c_str());
  }
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("waitpid failed while waiting for the workers");
    }
    const auto found = running.find(pid);
    if (found == running.end()) continue;  // not one of ours
    const size_t i = found->second;
    running.erase(found);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) ++outcome.workers_failed;
    std::fprintf(stderr, "worker %zu/%zu (device %s) %s after %.1f s: %s\n", i, count, workers[i].device.c_str(),
                 ok ? "finished" : "FAILED", seconds, describe_status(status).c_str());
    if (!ok) std::fprintf(stderr, "  see %s\n", workers[i].log.c_str());
  }
  if (count == 1) return outcome;

  std::vector<std::string> inputs;
  for (const auto& file : outcome.shard_files)
    if (fs::exists(file)) inputs.push_back(file);
    else std::fprintf(stderr, "warning: %s was not written; its runs are missing from the merge\n", file.c_str());
  // A resumed sweep merges into the file it merged into before (merge_results requires an
  // existing output to be listed as an input).
  if (fs::exists(outcome.output)) inputs.push_back(outcome.output);
  if (inputs.empty()) throw std::runtime_error("no worker wrote a results file; nothing to merge");
  outcome.merge = merge_results(inputs, outcome.output);
  return outcome;
}

}  // namespace wq
