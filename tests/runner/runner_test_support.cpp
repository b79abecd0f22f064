#include "runner_test_support.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wq::testing {

CommandResult run_wq(const std::string& args, const std::string& cwd) {
  const std::string out = cwd + "/.wq-stdout", err = cwd + "/.wq-stderr";
  const std::string command =
      "cd '" + cwd + "' && '" + wq_binary() + "' " + args + " >'" + out + "' 2>'" + err + "'";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.stdout_text = read_file(out);
  result.stderr_text = read_file(err);
  return result;
}

}  // namespace wq::testing
