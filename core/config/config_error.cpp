#include "core/config/config_error.h"

namespace wq {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> messages)
    : std::runtime_error(join_lines(messages)), messages_(std::move(messages)) {}

std::string format_config_error(const std::string& origin, const std::string& key,
                                const std::string& message, const std::string& expected) {
  std::string out;
  if (!origin.empty()) out += origin + ": ";
  if (!key.empty()) out += key + ": ";
  out += message;
  if (!expected.empty()) out += " (expected " + expected + ")";
  // One error per line, whatever the quoted values contain.
  std::string escaped;
  for (char c : out) {
    if (c == '\n') escaped += "\\n";
    else if (c == '\r') escaped += "\\r";
    else escaped += c;
  }
  return escaped;
}

}  // namespace wq
