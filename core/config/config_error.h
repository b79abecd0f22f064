// ConfigError: every problem found in a config, one line each, thrown together so that a
// user fixes all of them in one pass instead of one per run of the tool.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace wq {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> messages);
  explicit ConfigError(const std::string& message) : ConfigError(std::vector<std::string>{message}) {}
  // One line per error, in the order found: "file:line: key: message (expected ...)".
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
};

// "origin: key: message (expected ...)"; empty parts are left out.
std::string format_config_error(const std::string& origin, const std::string& key,
                                const std::string& message, const std::string& expected = "");

}  // namespace wq
