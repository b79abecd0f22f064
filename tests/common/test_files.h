// File helpers shared by every test binary (tests/common is linked into all of them).
#pragma once

#include <string>

namespace wq::testing {

// A fresh empty folder under the system temp dir, unique per call.
std::string make_temp_dir(const std::string& tag);
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);  // "" when unreadable
// Path of the built `wq` executable.
std::string wq_binary();

}  // namespace wq::testing
