#include "core/config/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/config_edit.h"
#include "core/config/config_error.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

namespace fs = std::filesystem;

std::string read_config_file(const fs::path& path, const std::string& included_from) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw ConfigError(format_config_error(included_from, "", "cannot find config file '" + path.string() + "'"));
  if (!fs::is_regular_file(status)) throw ConfigError(format_config_error(included_from, "", "'" + path.string() + "' is not a regular file"));
  if (fs::file_size(path, ec) > kMaxConfigFileBytes || ec)
    throw ConfigError(format_config_error(included_from, "", "'" + path.string() + "' is larger than " + std::to_string(kMaxConfigFileBytes) + " bytes"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(format_config_error(included_from, "", "cannot read '" + path.string() + "'"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct LoadState {
  std::vector<std::string> chain;  // canonical paths of the files being loaded, outermost first
  std::vector<std::string> chain_names;
};

LoadedConfig parse_and_merge(const std::string& text, const std::string& name, const fs::path& dir, LoadState& state);

LoadedConfig load_included(const fs::path& path, const std::string& name, const std::string& included_from, LoadState& state) {
  std::error_code ec;
  const std::string canonical = fs::weakly_canonical(path, ec).string();
  for (size_t i = 0; i < state.chain.size(); ++i) {
    if (state.chain[i] != canonical) continue;
    std::string cycle;
    for (size_t j = i; j < state.chain_names.size(); ++j) cycle += state.chain_names[j] + " -> ";
    throw ConfigError(format_config_error(included_from, "defaults", "include cycle: " + cycle + name));
  }
  if (state.chain.size() >= kMaxIncludeDepth)
    throw ConfigError(format_config_error(included_from, "defaults", "includes nested deeper than " + std::to_string(kMaxIncludeDepth) + " files"));
  const std::string text = read_config_file(path, included_from);
  state.chain.push_back(canonical);
  state.chain_names.push_back(name);
  LoadedConfig loaded = parse_and_merge(text, name, path.parent_path(), state);
  state.chain.pop_back();
  state.chain_names.pop_back();
  return loaded;
}

std::vector<std::pair<std::string, std::string>> default_entries(const YAML::Node& defaults, const SourceMap& sources) {
  // (path, origin) of every entry of `defaults:`.
  std::vector<std::pair<std::string, std::string>> entries;
  auto bad = [&](const std::string& key) {
    return ConfigError(format_config_error(sources.find(key), "defaults", "expected a file path or a list of file paths"));
  };
  if (defaults.IsNull()) return entries;
  if (defaults.IsScalar()) {
    entries.emplace_back(defaults.Scalar(), sources.find("defaults"));
  } else if (defaults.IsSequence()) {
    for (size_t i = 0; i < defaults.size(); ++i) {
      if (!defaults[i].IsScalar() || defaults[i].Scalar().empty()) throw bad(element_key("defaults", i));
      entries.emplace_back(defaults[i].Scalar(), sources.find(element_key("defaults", i)));
    }
  } else {
    throw bad("defaults");
  }
  return entries;
}

LoadedConfig parse_and_merge(const std::string& text, const std::string& name, const fs::path& dir, LoadState& state) {
  YAML::Node parsed;
  try {
    parsed = YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(format_config_error(name + ":" + std::to_string(error.mark.line + 1), "", "YAML syntax: " + error.msg));
  }
  LoadedConfig own;
  own.root = checked_clone(parsed, name, &own.sources);
  if (own.root.IsNull() || !own.root.IsDefined()) own.root = YAML::Node(YAML::NodeType::Map);
  if (!own.root.IsMap()) throw ConfigError(format_config_error(name, "", "a config file must be a map of keys to values"));

  LoadedConfig merged;
  merged.root = YAML::Node(YAML::NodeType::Map);
  const YAML::Node defaults = static_cast<const YAML::Node&>(own.root)["defaults"];
  if (defaults.IsDefined()) {
    for (const auto& [include, origin] : default_entries(defaults, own.sources)) {
      const fs::path include_path = dir / include;
      const std::string include_name = (fs::path(name).parent_path() / include).lexically_normal().string();
      LoadedConfig child = load_included(include_path, include_name, origin, state);
      merge_config(merged.root, merged.sources, child.root, child.sources);
    }
    own.root.remove("defaults");
    own.sources.erase_subtree("defaults");
  }
  merge_config(merged.root, merged.sources, own.root, own.sources);
  return merged;
}

}  // namespace

LoadedConfig load_config_text(const std::string& text, const std::string& origin, const std::string& base_dir) {
  LoadState state;
  LoadedConfig loaded = parse_and_merge(text, origin, fs::path(base_dir), state);
  loaded.file = origin;
  loaded.base_dir = base_dir;
  return loaded;
}

LoadedConfig load_config_file(const std::string& path) {
  LoadState state;
  LoadedConfig loaded = load_included(fs::path(path), path, "", state);
  loaded.file = path;
  loaded.base_dir = fs::path(path).parent_path().string();
  return loaded;
}

std::vector<Override> parse_overrides(const std::vector<std::string>& texts) {
  std::vector<Override> overrides;
  std::vector<std::string> errors;
  for (const auto& text : texts) {
    const size_t equals = text.find('=');
    if (equals == std::string::npos || equals == 0) {
      errors.push_back(format_config_error(kCommandLineOrigin, text, "an override is written key=value, e.g. method.bits=2"));
      continue;
    }
    Override override;
    override.key = text.substr(0, equals);
    const std::string value_text = text.substr(equals + 1);
    const std::string grid_prefix = "sweep.grid.";
    if (override.key.compare(0, grid_prefix.size(), grid_prefix) == 0 && override.key.size() > grid_prefix.size()) {
      override.path = {"sweep", "grid", override.key.substr(grid_prefix.size())};
    } else {
      override.path = split_dotted(override.key);
    }
    if (override.path.empty()) {
      errors.push_back(format_config_error(kCommandLineOrigin, override.key, "not a dotted key (empty component)"));
      continue;
    }
    try {
      override.value = checked_clone(YAML::Load(value_text), kCommandLineOrigin);
    } catch (const YAML::Exception& error) {
      errors.push_back(format_config_error(kCommandLineOrigin, override.key, "value is not valid YAML: " + error.msg));
      continue;
    } catch (const ConfigError& error) {
      errors.push_back(format_config_error(kCommandLineOrigin, override.key, error.what()));
      continue;
    }
    // "key=" reads as null; keep it (it can clear an optional value) but not as undefined.
    if (!override.value.IsDefined()) override.value = YAML::Node(YAML::NodeType::Null);
    overrides.push_back(std::move(override));
  }
  if (!errors.empty()) throw ConfigError(errors);
  return overrides;
}

}  // namespace wq
