#include "core/config/load_sweep.h"

#include <filesystem>
#include <set>

#include "core/config/config_edit.h"
#include "core/config/loader.h"
#include "core/config/validate.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

// Enough to fix a broken sweep in one pass without flooding the terminal.
constexpr size_t kMaxReportedErrors = 200;

void add_unique(std::vector<std::string>& errors, std::set<std::string>& seen, const std::vector<std::string>& found) {
  for (const auto& line : found)
    if (seen.insert(line).second) errors.push_back(line);
}

[[noreturn]] void throw_errors(std::vector<std::string> errors) {
  if (errors.size() > kMaxReportedErrors) {
    const size_t hidden = errors.size() - kMaxReportedErrors;
    errors.resize(kMaxReportedErrors);
    errors.push_back("... and " + std::to_string(hidden) + " more errors");
  }
  throw ConfigError(std::move(errors));
}

std::string scalar_or(const YAML::Node& root, const std::string& key, const std::string& fallback) {
  const YAML::Node node = root[key];
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
}

Sweep resolve(LoadedConfig loaded, const std::vector<std::string>& override_texts, const LoadOptions& options) {
  const std::vector<Override> overrides = parse_overrides(override_texts);
  // Overrides also edit the base config, so that `name=...` changes the default output and
  // `sweep.*=...` changes the sweep before it is expanded.
  std::vector<ConfigEdit> edits;
  for (const auto& override : overrides) edits.push_back({override.path, override.value, kCommandLineOrigin, nullptr, ""});
  apply_edits(loaded.root, loaded.sources, edits);

  const YAML::Node& root = loaded.root;
  const std::string stem = std::filesystem::path(loaded.file).stem().string();
  if (!root["name"].IsDefined()) {
    loaded.root["name"] = stem.empty() ? std::string("sweep") : stem;
    loaded.sources.set("name", kDefaultOrigin);
  }
  Sweep sweep;
  sweep.name = scalar_or(root, "name", stem);
  if (!root["output"].IsDefined()) {
    loaded.root["output"] = "results/" + sweep.name + ".h5";
    loaded.sources.set("output", kDefaultOrigin);
  }
  sweep.output = scalar_or(root, "output", "results/" + sweep.name + ".h5");
  sweep.description = scalar_or(root, "description", "");
  sweep.file = loaded.file;
  sweep.config = YAML::Clone(loaded.root);

  ValidationContext context{options.schemas, loaded.base_dir, loaded.file};
  std::vector<std::string> errors;
  std::set<std::string> seen;
  std::vector<std::string> sweep_errors;
  std::vector<ExpandedRun> expanded = expand_sweep(loaded, overrides, options.max_runs, sweep_errors);
  add_unique(errors, seen, sweep_errors);
  if (!sweep_errors.empty()) {
    // The sweep cannot be expanded; still report what is wrong with the rest of the config.
    YAML::Node base = YAML::Clone(loaded.root);
    base.remove("sweep");
    SourceMap sources = loaded.sources;
    std::vector<std::string> found;
    validate_run(base, sources, context, found);
    add_unique(errors, seen, found);
    throw_errors(std::move(errors));
  }

  std::set<std::string> ids;
  for (auto& run : expanded) {
    std::vector<std::string> found;
    InputIdentities inputs;
    const std::vector<ResolvedPath> paths = validate_run(run.config, *run.sources, context, found, &inputs);
    add_unique(errors, seen, found);
    if (!found.empty()) continue;
    ResolvedRun resolved{run_id(run.config, inputs), run.name, run.config, run.sources, inputs};
    // Only after the id: absolute paths differ between machines, the id must not.
    for (const auto& path : paths) set_path(resolved.config, path.path, YAML::Node(path.resolved));
    if (!ids.insert(resolved.id).second) {
      sweep.notes.push_back("run '" + resolved.name + "' is identical to an earlier run (id " + resolved.id + ") and was dropped");
      continue;
    }
    sweep.runs.push_back(std::move(resolved));
  }
  if (!errors.empty()) throw_errors(std::move(errors));
  return sweep;
}

}  // namespace

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides, const LoadOptions& options) {
  return resolve(load_config_file(path), overrides, options);
}

Sweep load_sweep_text(const std::string& text, const std::string& origin, const std::string& base_dir,
                      const std::vector<std::string>& overrides, const LoadOptions& options) {
  return resolve(load_config_text(text, origin, base_dir), overrides, options);
}

std::vector<ResolvedRun> select_shard(const std::vector<ResolvedRun>& runs, const Shard& shard) {
  std::vector<ResolvedRun> selected;
  for (size_t k = 0; k < runs.size(); ++k)
    if (in_shard(k, shard)) selected.push_back(runs[k]);
  return selected;
}

}  // namespace wq
