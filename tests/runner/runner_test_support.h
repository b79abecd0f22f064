// Helpers for runner and CLI tests: temporary folders, config files, running `wq`.
#pragma once

#include <string>

#include "test_files.h"

namespace wq::testing {


struct CommandResult {
  int exit_code = -1;
  std::string stdout_text, stderr_text;
};
// Runs `wq <args>` (args already shell-quoted as needed) in `cwd`, capturing both streams.
CommandResult run_wq(const std::string& args, const std::string& cwd);

}  // namespace wq::testing
