// Helpers for runner and CLI tests: temporary folders, config files, running `wq`.
#pragma once

#include <string>

namespace wq::testing {

// A fresh empty folder under the system temp dir, unique per call.
std::string make_temp_dir(const std::string& tag);
void write_file(const std::string& path, const std::string& text);
// Path of the built `wq` executable.
std::string wq_binary();

struct CommandResult {
  int exit_code = -1;
  std::string stdout_text, stderr_text;
};
// Runs `wq <args>` (args already shell-quoted as needed) in `cwd`, capturing both streams.
CommandResult run_wq(const std::string& args, const std::string& cwd);

}  // namespace wq::testing
