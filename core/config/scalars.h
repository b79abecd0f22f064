// Strict parsing and canonical formatting of YAML scalars. One set of rules is shared by
// validation, Params getters and the canonical form used for run ids, so that a value that
// validates as an int is read as the same int everywhere.
//
// Accepted forms (YAML 1.2 core schema, a little narrower than yaml-cpp's own as<T>()):
//   bool:  true/True/TRUE, false/False/FALSE (not yes/no/on/off, which YAML 1.2 reads as strings)
//   int:   optional sign and decimal digits, or 0x/0o prefixed hex/octal; must fit int64
//   float: any int, decimal/exponent notation, .inf/-.inf (any case of "inf"); NaN is refused
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace wq {

std::optional<bool> parse_bool(const std::string& text);
std::optional<long long> parse_int(const std::string& text);
std::optional<double> parse_float(const std::string& text);

// Shortest decimal text that reads back as exactly `value` ("0.1", "2", "1e-05", ".inf").
std::string format_float(double value);

// True when the scalar was written quoted or tagged !!str, i.e. it is a string even if
// its text looks like a number.
bool is_explicit_string(const YAML::Node& scalar);

}  // namespace wq
