#include "core/results/provenance.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

#include "wq_build_info.h"  // generated at build time by cmake/build_info.cmake

#if __has_include(<torch/version.h>)
// Only this small header: the results code must not pull the whole of LibTorch in.
#include <torch/version.h>
#endif

namespace wq {

namespace {

// Runs `command` through the shell and returns its stdout with trailing whitespace cut;
// `ok` tells whether it exited with status 0.
std::string command_output(const std::string& command, bool& ok) {
  ok = false;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return "";
  std::string output;
  std::array<char, 512> buffer{};
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), count);
  const int status = pclose(pipe);
  ok = status == 0;
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) {
    output.pop_back();
  }
  return output;
}

void fill_git(Provenance& provenance) {
  provenance.git_commit = WQ_BUILD_GIT_COMMIT;
  provenance.git_dirty = WQ_BUILD_GIT_DIRTY != 0;
}

std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  // x86 names the CPU in "model name"; some ARM kernels only give "Hardware" or "Processor".
  for (const char* key : {"model name", "Hardware", "Processor"}) {
    cpuinfo.clear();
    cpuinfo.seekg(0);
    while (std::getline(cpuinfo, line)) {
      if (line.rfind(key, 0) != 0) continue;
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      const auto first = value.find_first_not_of(" \t");
      if (first != std::string::npos) return value.substr(first);
    }
  }
  return "unknown";
}

std::string gpu_names() {
  bool ok = false;
  const std::string output =
      command_output("nvidia-smi --query-gpu=name --format=csv,noheader", ok);
  if (!ok || output.empty()) return "none";
  // One line per visible GPU; join them so that a mixed node is visible in the provenance.
  std::istringstream lines(output);
  std::string line, joined;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (!joined.empty()) joined += "; ";
    joined += line;
  }
  return joined.empty() ? "none" : joined;
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

std::string torch_version() {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return "none";
#endif
}

// The build may pass WQ_CUDA_VERSION (e.g. "12.4") when CUDA kernels are compiled in.
std::string cuda_version() {
#ifdef WQ_CUDA_VERSION
  return WQ_CUDA_VERSION;
#else
  return "none";
#endif
}

}  // namespace

Provenance collect_provenance(const std::vector<std::string>& argv, int64_t seed,
                              const std::string& sweep_name) {
  Provenance provenance;
  provenance.sweep_name = sweep_name;
  provenance.seed = seed;
  provenance.argv = argv;
  fill_git(provenance);
  provenance.host = host_name();
  provenance.cpu_model = cpu_model();
  provenance.gpu_name = gpu_names();
  provenance.torch_version = torch_version();
  provenance.cuda_version = cuda_version();
  provenance.wq_version = WQ_VERSION;
  provenance.created_at = provenance.updated_at = utc_now_iso8601();
  return provenance;
}

Provenance collect_provenance(int argc, const char* const* argv, int64_t seed,
                              const std::string& sweep_name) {
  return collect_provenance(std::vector<std::string>(argv, argv + argc), seed, sweep_name);
}

std::string sweep_fingerprint(const std::vector<std::string>& run_ids) {
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 1099511628211ull;
  };
  for (const auto& id : run_ids) {
    for (char c : id) mix(static_cast<unsigned char>(c));
    mix(0);  // separator, so that {"ab","c"} and {"a","bc"} differ
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

std::string utc_now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace wq
