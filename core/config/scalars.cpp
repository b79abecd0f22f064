#include "core/config/scalars.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace wq {
namespace {

bool all_of_charset(const std::string& text, const char* allowed) {
  return text.find_first_not_of(allowed) == std::string::npos;
}

std::optional<long long> parse_in_base(const std::string& digits, bool negative, int base) {
  if (digits.empty()) return std::nullopt;
  const char* allowed = base == 16 ? "0123456789abcdefABCDEF" : base == 8 ? "01234567" : "0123456789";
  if (!all_of_charset(digits, allowed)) return std::nullopt;
  errno = 0;
  // Parsed unsigned so that INT64_MIN (whose magnitude overflows long long) is accepted.
  const unsigned long long magnitude = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  const unsigned long long limit = static_cast<unsigned long long>(std::numeric_limits<long long>::max());
  if (!negative && magnitude > limit) return std::nullopt;
  if (negative && magnitude > limit + 1) return std::nullopt;
  if (negative) return magnitude == limit + 1 ? std::numeric_limits<long long>::min() : -static_cast<long long>(magnitude);
  return static_cast<long long>(magnitude);
}

}  // namespace

std::optional<bool> parse_bool(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

std::optional<long long> parse_int(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    pos = 1;
  }
  const std::string rest = text.substr(pos);
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')) return parse_in_base(rest.substr(2), negative, 16);
  if (rest.size() > 2 && rest[0] == '0' && (rest[1] == 'o' || rest[1] == 'O')) return parse_in_base(rest.substr(2), negative, 8);
  return parse_in_base(rest, negative, 10);
}

std::optional<double> parse_float(const std::string& text) {
  if (text.empty()) return std::nullopt;
  if (auto as_int = parse_int(text)) return static_cast<double>(*as_int);
  std::string body = text;
  double sign = 1.0;
  if (body[0] == '+' || body[0] == '-') {
    sign = body[0] == '-' ? -1.0 : 1.0;
    body = body.substr(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") return sign * std::numeric_limits<double>::infinity();
  // strtod alone would also take "inf", "nan" and hex floats; YAML does not.
  if (body.empty() || !all_of_charset(body, "0123456789.eE+-")) return std::nullopt;
  if (body.find_first_of("0123456789") == std::string::npos) return std::nullopt;
  if (body[0] == '+' || body[0] == '-') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(body.c_str(), &end);
  if (end != body.c_str() + body.size()) return std::nullopt;
  // ERANGE with a finite result is underflow to a denormal or zero: the nearest double is fine.
  if (errno == ERANGE && std::isinf(value)) return std::nullopt;
  return sign * value;
}

std::string format_float(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value < 0 ? "-.inf" : ".inf";
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

bool is_explicit_string(const YAML::Node& scalar) {
  const std::string& tag = scalar.Tag();
  return tag == "!" || tag == "!!str" || tag == "tag:yaml.org,2002:str";
}

}  // namespace wq
