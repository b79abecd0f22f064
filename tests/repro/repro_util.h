// Helpers for the reproduction tests: temp folders, running commands and `wq`, comparing
// results files run for run.
#pragma once

#include <string>
#include <vector>

#include "test_files.h"

namespace wq::repro {

using testing::make_temp_dir;
using testing::read_file;
using testing::wq_binary;
using testing::write_file;
std::string source_path(const std::string& relative);  // path under the source tree

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs `command` with /bin/sh in `cwd`.
CommandResult run_shell(const std::string& command, const std::string& cwd);
// Runs `wq <args>` (args shell-quoted by the caller) in `cwd`.
CommandResult run_wq(const std::string& args, const std::string& cwd);

// A Python that imports h5py, pandas and matplotlib (Debian's /usr/bin/python3 first, as
// scripts/find_python.sh picks it), or "" when there is none.
std::string plotting_python();

// A tiny kv_fidelity sweep (`runs` variants, CPU, well under a second per run).
std::string tiny_kv_fidelity_config(const std::string& name);

// Expects `actual` to hold the same runs as `expected`: same ids, names and statuses, the
// same value of every metric that is not a timing (t_*), and equal per-sample tables.
void expect_same_results(const std::string& expected, const std::string& actual);

}  // namespace wq::repro
