#include "core/config/yaml_tree.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "core/config/config_error.h"
#include "core/config/scalars.h"
#include "core/config/source_map.h"

namespace wq {
namespace {

struct CloneState {
  size_t nodes = 0;
  size_t max_nodes;
  size_t max_depth;
  const std::string& file;
  SourceMap* sources;
};

std::string line_of(const std::string& file, const YAML::Node& node) {
  return file + ":" + std::to_string(node.Mark().line + 1);
}

// First pass: counts nodes (aliases expanded) without building anything, so that an alias
// bomb is refused after max_nodes cheap steps instead of max_nodes allocations.
void check_size(const YAML::Node& node, size_t depth, CloneState& state) {
  if (++state.nodes > state.max_nodes)
    throw ConfigError(format_config_error(state.file, "", "config too large (more than " + std::to_string(state.max_nodes) +
                                                              " values once aliases are expanded)"));
  if (depth > state.max_depth)
    throw ConfigError(format_config_error(state.file, "", "config nested deeper than " + std::to_string(state.max_depth) +
                                                              " levels (or a recursive alias)"));
  if (node.IsSequence()) {
    for (const auto& item : node) check_size(item, depth + 1, state);
  } else if (node.IsMap()) {
    for (const auto& item : node) check_size(item.second, depth + 1, state);
  }
}

YAML::Node clone_rec(const YAML::Node& node, const std::string& key, size_t depth, CloneState& state) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      YAML::Node out(YAML::NodeType::Sequence);
      size_t index = 0;
      for (const auto& item : node) {
        const std::string item_key = element_key(key, index++);
        if (state.sources) state.sources->set(item_key, line_of(state.file, item));
        out.push_back(clone_rec(item, item_key, depth + 1, state));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      YAML::Node out(YAML::NodeType::Map);
      std::set<std::string> seen;
      for (const auto& item : node) {
        const YAML::Node& name = item.first;
        if (!name.IsScalar()) throw ConfigError(format_config_error(line_of(state.file, name), key, "map keys must be plain names"));
        const std::string item_key = child_key(key, name.Scalar());
        if (!seen.insert(name.Scalar()).second)
          throw ConfigError(format_config_error(line_of(state.file, name), item_key, "key written twice in the same map"));
        if (state.sources) state.sources->set(item_key, line_of(state.file, name));
        out[name.Scalar()] = clone_rec(item.second, item_key, depth + 1, state);
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      // Built directly: YAML::Clone runs a whole event emitter per scalar.
      YAML::Node out(node.Scalar());
      out.SetTag(node.Tag());
      return out;
    }
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

// Plain scalars that can be written without quotes and read back as the same string.
bool is_safe_plain(const std::string& text) {
  if (text.empty()) return false;
  if (text == "null" || text == "Null" || text == "NULL" || text == "~") return false;
  if (parse_bool(text)) return false;
  const char first = text[0];
  if (!(std::isalnum(static_cast<unsigned char>(first)) || first == '_' || first == '/' || first == '.' ||
        first == '-' || first == '+'))
    return false;
  if (first == '-' && text.size() == 1) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '/' || c == '.' || c == '-' || c == '+'))
      return false;
  }
  return true;
}

std::string quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void canonical_rec(const YAML::Node& node, std::string& out) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      // Sort (key, position) pairs, never the Node handles themselves: assigning a
      // YAML::Node writes through to the node it refers to, so std::sort over handles
      // would scramble the config being hashed.
      std::vector<YAML::Node> values;
      std::vector<std::pair<std::string, size_t>> keys;
      for (const auto& item : node) {
        keys.emplace_back(item.first.Scalar(), values.size());
        values.push_back(item.second);
      }
      std::sort(keys.begin(), keys.end());
      out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ", ";
        out += is_safe_plain(keys[i].first) ? keys[i].first : quote(keys[i].first);
        out += ": ";
        canonical_rec(values[keys[i].second], out);
      }
      out += '}';
      return;
    }
    case YAML::NodeType::Sequence: {
      out += '[';
      for (size_t i = 0; i < node.size(); ++i) {
        if (i) out += ", ";
        canonical_rec(node[i], out);
      }
      out += ']';
      return;
    }
    case YAML::NodeType::Scalar: {
      if (is_explicit_string(node)) {
        out += quote(node.Scalar());
        return;
      }
      const std::string text = canonical_scalar_text(node);
      out += is_safe_plain(text) || parse_bool(text) ? text : quote(text);
      return;
    }
    default:
      out += "null";
  }
}

void flatten_rec(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    if (node.size() == 0 && !prefix.empty()) out[prefix] = "{}";
    for (const auto& item : node) {
      const std::string key = prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
      flatten_rec(item.second, key, out);
    }
  } else if (node.IsSequence()) {
    out[prefix] = canonical_yaml(node);
  } else if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  } else {
    out[prefix] = "null";
  }
}

}  // namespace

YAML::Node checked_clone(const YAML::Node& node, const std::string& file, SourceMap* sources,
                         const std::string& prefix, size_t max_nodes, size_t max_depth) {
  CloneState state{0, max_nodes, max_depth, file, sources};
  check_size(node, 0, state);
  return clone_rec(node, prefix, 0, state);
}

std::vector<std::string> split_dotted(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = key.find('.', start);
    std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return {};
    parts.push_back(std::move(part));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string join_dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& part : path) out += out.empty() ? part : "." + part;
  return out;
}

YAML::Node find_path(const YAML::Node& root, const std::vector<std::string>& path) {
  // reset() rebinds the handle; plain assignment would overwrite the node it points at.
  YAML::Node current;
  current.reset(root);
  for (const auto& part : path) {
    if (!current.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& const_current = current;
    YAML::Node next = const_current[part];
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    current.reset(next);
  }
  return current;
}

void set_path(YAML::Node root, const std::vector<std::string>& path, const YAML::Node& value) {
  if (path.empty()) return;
  YAML::Node current;
  current.reset(root);
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const YAML::Node& const_current = current;
    // Missing keys give invalid handles that cannot be reset; look up again after creating.
    const YAML::Node existing = const_current[path[i]];
    if (!existing.IsDefined() || !existing.IsMap()) current[path[i]] = YAML::Node(YAML::NodeType::Map);
    const YAML::Node next = const_current[path[i]];
    current.reset(next);
  }
  current[path.back()] = value;
}

std::string canonical_yaml(const YAML::Node& node) {
  std::string out;
  canonical_rec(node, out);
  return out;
}

std::string canonical_scalar_text(const YAML::Node& scalar) {
  if (!scalar.IsScalar()) return scalar.IsNull() ? "null" : canonical_yaml(scalar);
  const std::string& text = scalar.Scalar();
  if (is_explicit_string(scalar)) return text;
  if (auto as_int = parse_int(text)) return std::to_string(*as_int);
  if (auto as_float = parse_float(text)) return format_float(*as_float);
  if (auto as_bool = parse_bool(text)) return *as_bool ? "true" : "false";
  return text;
}

std::map<std::string, std::string> flatten_config(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  flatten_rec(node, "", out);
  return out;
}

uint64_t fnv1a_64(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string hex64(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace wq
