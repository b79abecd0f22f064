#include "core/config/sweep.h"

#include <algorithm>
#include <optional>
#include <set>

#include "core/config/config_edit.h"
#include "core/config/config_error.h"
#include "core/config/did_you_mean.h"
#include "core/config/scalars.h"
#include "core/config/schema.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

struct Axis {
  std::string key;                 // dotted key as written
  std::vector<std::string> path;
  std::vector<YAML::Node> values;
  std::string source_key;          // its key in the loaded SourceMap ("sweep.grid.method.bits")
};

struct Variant {
  std::string name;
  std::vector<ConfigEdit> edits;
};

struct Plan {
  std::vector<Variant> variants;
  std::vector<Axis> grid;
  std::vector<std::vector<Axis>> zip;  // groups of equally long axes
  std::optional<YAML::Node> max_samples;  // (a default-constructed Node is a defined null)
};

struct PlanReader {
  const LoadedConfig& loaded;
  std::vector<std::string>& errors;
  std::set<std::string> swept;  // axis keys seen so far, to refuse sweeping one key twice

  std::string origin(const std::string& key) const {
    const std::string found = loaded.sources.find(key);
    return found.empty() ? loaded.file : found;
  }
  void error(const std::string& key, const std::string& message, const std::string& expected = "") {
    errors.push_back(format_config_error(origin(key), key, message, expected));
  }

  // The path of a dotted key that a sweep may set, or {} after reporting why not.
  std::vector<std::string> settable_path(const std::string& dotted, const std::string& where) {
    static const std::vector<std::string> roots = {"experiment", "method", "model", "dataset", "seed", "device", "cache"};
    std::vector<std::string> path = split_dotted(dotted);
    if (path.empty()) {
      error(where, "'" + dotted + "' is not a dotted key", "e.g. method.bits");
      return {};
    }
    if (std::find(roots.begin(), roots.end(), path[0]) == roots.end()) {
      error(where, "cannot sweep '" + path[0] + "'" + did_you_mean(path[0], roots), "a key under " + join_names(roots));
      return {};
    }
    return path;
  }

  bool read_axis(const std::string& key, const YAML::Node& values, const std::string& source_key, Axis& axis) {
    axis.key = key;
    axis.source_key = source_key;
    axis.path = settable_path(key, source_key);
    if (axis.path.empty()) return false;
    if (!swept.insert(key).second) {
      error(source_key, "key is swept twice");
      return false;
    }
    if (!values.IsSequence() || values.size() == 0) {
      error(source_key, values.IsSequence() ? "empty list gives no runs" : "got a single value", "a non-empty list of values");
      return false;
    }
    for (const auto& value : values) axis.values.push_back(value);
    return true;
  }

  void read_grid(const YAML::Node& grid, Plan& plan) {
    if (!grid.IsMap()) {
      error("sweep.grid", "expected a map of dotted key -> list of values");
      return;
    }
    for (const auto& item : grid) {
      Axis axis;
      const std::string key = item.first.Scalar();
      if (read_axis(key, item.second, "sweep.grid." + key, axis)) plan.grid.push_back(std::move(axis));
    }
  }

  void read_zip(const YAML::Node& zip, Plan& plan) {
    if (!zip.IsSequence()) {
      error("sweep.zip", "expected a list of groups, each a map of dotted key -> list");
      return;
    }
    for (size_t g = 0; g < zip.size(); ++g) {
      const std::string group_key = element_key("sweep.zip", g);
      const YAML::Node group = zip[g];
      if (!group.IsMap() || group.size() == 0) {
        error(group_key, "expected a non-empty map of dotted key -> list");
        continue;
      }
      std::vector<Axis> axes;
      for (const auto& item : group) {
        Axis axis;
        const std::string key = item.first.Scalar();
        if (read_axis(key, item.second, group_key + "." + key, axis)) axes.push_back(std::move(axis));
      }
      if (axes.size() != group.size()) continue;
      bool equal = true;
      for (const auto& axis : axes) equal = equal && axis.values.size() == axes[0].values.size();
      if (!equal) {
        std::string lengths;
        for (const auto& axis : axes) lengths += (lengths.empty() ? "" : ", ") + axis.key + ": " + std::to_string(axis.values.size());
        error(group_key, "lists of a zip group must have equal lengths (" + lengths + ")");
        continue;
      }
      plan.zip.push_back(std::move(axes));
    }
  }

  void read_variants(const YAML::Node& variants, Plan& plan) {
    if (!variants.IsSequence() || variants.size() == 0) {
      error("sweep.variants", "expected a non-empty list of {name: ..., set: {...}}");
      return;
    }
    std::set<std::string> names;
    for (size_t v = 0; v < variants.size(); ++v) {
      const std::string variant_key = element_key("sweep.variants", v);
      const YAML::Node entry = variants[v];
      if (!entry.IsMap()) {
        error(variant_key, "expected a map {name: ..., set: {...}}");
        continue;
      }
      Variant variant;
      for (const auto& item : entry) {
        const std::string key = item.first.Scalar();
        if (key != "name" && key != "set")
          error(variant_key + "." + key, "unknown key" + did_you_mean(key, {"name", "set"}), "name or set");
      }
      const YAML::Node name = entry["name"];
      if (!name.IsDefined() || !name.IsScalar() || name.Scalar().empty()) {
        error(variant_key + ".name", "every variant needs a name", "a non-empty string");
        continue;
      }
      variant.name = name.Scalar();
      if (!names.insert(variant.name).second) error(variant_key + ".name", "variant name '" + variant.name + "' used twice");
      const YAML::Node set = entry["set"];
      if (set.IsDefined() && !set.IsNull()) {
        if (!set.IsMap()) {
          error(variant_key + ".set", "expected a map of dotted key or section -> value");
          continue;
        }
        for (const auto& item : set) {
          const std::string key = item.first.Scalar();
          const std::string source_key = variant_key + ".set." + key;
          std::vector<std::string> path = settable_path(key, source_key);
          if (path.empty()) continue;
          variant.edits.push_back({path, item.second, origin(source_key), &loaded.sources, source_key});
        }
      }
      plan.variants.push_back(std::move(variant));
    }
  }

  Plan read(const YAML::Node& sweep) {
    Plan plan;
    if (sweep.IsDefined() && !sweep.IsNull()) {
      if (!sweep.IsMap()) {
        error("sweep", "expected a map with grid, zip, variants or max_samples");
        return plan;
      }
      const std::vector<std::string> known = {"grid", "zip", "variants", "max_samples"};
      for (const auto& item : sweep) {
        const std::string key = item.first.Scalar();
        if (std::find(known.begin(), known.end(), key) == known.end())
          error("sweep." + key, "unknown key" + did_you_mean(key, known), "one of: " + join_names(known));
      }
      if (sweep["variants"].IsDefined()) read_variants(sweep["variants"], plan);
      if (sweep["grid"].IsDefined()) read_grid(sweep["grid"], plan);
      if (sweep["zip"].IsDefined()) read_zip(sweep["zip"], plan);
      const YAML::Node max_samples = sweep["max_samples"];
      if (max_samples.IsDefined()) {
        const auto value = max_samples.IsScalar() && !is_explicit_string(max_samples) ? parse_int(max_samples.Scalar()) : std::nullopt;
        if (!value || *value < 1) {
          error("sweep.max_samples", "got " + (max_samples.IsScalar() ? "'" + max_samples.Scalar() + "'" : std::string("a non-scalar")),
                "int >= 1");
        } else {
          plan.max_samples.emplace(std::to_string(*value));
        }
      }
    }
    if (plan.variants.empty()) plan.variants.push_back(Variant{});
    return plan;
  }
};

// An override of `key` pins every axis at or below it (it would overwrite the axis anyway).
bool pinned_by(const Axis& axis, const std::vector<Override>& overrides) {
  for (const auto& override : overrides) {
    const std::string key = join_dotted(override.path);
    if (axis.key == key || axis.key.compare(0, key.size() + 1, key + ".") == 0) return true;
  }
  return false;
}

void drop_pinned_axes(Plan& plan, const std::vector<Override>& overrides) {
  auto pinned = [&](const Axis& axis) { return pinned_by(axis, overrides); };
  plan.grid.erase(std::remove_if(plan.grid.begin(), plan.grid.end(), pinned), plan.grid.end());
  for (auto& group : plan.zip) group.erase(std::remove_if(group.begin(), group.end(), pinned), group.end());
  plan.zip.erase(std::remove_if(plan.zip.begin(), plan.zip.end(), [](const auto& group) { return group.empty(); }),
                 plan.zip.end());
}

// Product with saturation at max + 1, so that a huge sweep is refused before it is built.
size_t count_runs(const Plan& plan, size_t max_runs) {
  size_t total = plan.variants.size();
  auto multiply = [&](size_t factor) { total = total > (max_runs + 1) / std::max<size_t>(factor, 1) ? max_runs + 1 : total * factor; };
  for (const auto& axis : plan.grid) multiply(axis.values.size());
  for (const auto& group : plan.zip) multiply(group[0].values.size());
  return std::min(total, max_runs + 1);
}

std::string value_label(const YAML::Node& value) { return canonical_scalar_text(value); }

ConfigEdit axis_edit(const Axis& axis, size_t index, const LoadedConfig& loaded) {
  const std::string value_key = element_key(axis.source_key, index);
  std::string origin = loaded.sources.find(value_key);
  if (origin.empty()) origin = loaded.file;
  return {axis.path, axis.values[index], origin, &loaded.sources, value_key};
}

}  // namespace

std::vector<ExpandedRun> expand_sweep(const LoadedConfig& loaded, const std::vector<Override>& overrides,
                                      size_t max_runs, std::vector<std::string>& errors) {
  PlanReader reader{loaded, errors, {}};
  const size_t errors_before = errors.size();
  Plan plan = reader.read(static_cast<const YAML::Node&>(loaded.root)["sweep"]);
  if (errors.size() != errors_before) return {};
  drop_pinned_axes(plan, overrides);
  if (count_runs(plan, max_runs) > max_runs) {
    errors.push_back(format_config_error(reader.origin("sweep"), "sweep",
                                         "expands to more than " + std::to_string(max_runs) + " runs",
                                         "at most " + std::to_string(max_runs) + "; split the sweep into several files"));
    return {};
  }

  YAML::Node base = YAML::Clone(loaded.root);
  base.remove("sweep");
  SourceMap base_sources = loaded.sources;
  base_sources.erase_subtree("sweep");
  const YAML::Node sweep_name = static_cast<const YAML::Node&>(loaded.root)["name"];
  const std::string fallback_name = sweep_name.IsDefined() && sweep_name.IsScalar() ? sweep_name.Scalar() : "run";

  std::vector<ConfigEdit> override_edits;
  for (const auto& override : overrides)
    if (override.path[0] != "sweep") override_edits.push_back({override.path, override.value, kCommandLineOrigin, nullptr, ""});

  std::vector<size_t> axis_sizes;
  for (const auto& axis : plan.grid) axis_sizes.push_back(axis.values.size());
  for (const auto& group : plan.zip) axis_sizes.push_back(group[0].values.size());
  size_t combinations = 1;
  for (size_t size : axis_sizes) combinations *= size;

  std::vector<ExpandedRun> runs;
  for (const auto& variant : plan.variants) {
    for (size_t combination = 0; combination < combinations; ++combination) {
      // Mixed-radix digits of `combination`, last axis fastest.
      std::vector<size_t> digits(axis_sizes.size());
      size_t rest = combination;
      for (size_t a = axis_sizes.size(); a-- > 0;) {
        digits[a] = rest % axis_sizes[a];
        rest /= axis_sizes[a];
      }
      ExpandedRun run;
      run.config = YAML::Clone(base);
      run.sources = std::make_shared<SourceMap>(base_sources);
      std::vector<ConfigEdit> edits = variant.edits;
      std::vector<std::string> labels;
      if (!variant.name.empty()) labels.push_back(variant.name);
      for (size_t a = 0; a < plan.grid.size(); ++a) {
        const Axis& axis = plan.grid[a];
        edits.push_back(axis_edit(axis, digits[a], loaded));
        labels.push_back(axis.key + "=" + value_label(axis.values[digits[a]]));
      }
      for (size_t g = 0; g < plan.zip.size(); ++g) {
        for (const auto& axis : plan.zip[g]) {
          const size_t index = digits[plan.grid.size() + g];
          edits.push_back(axis_edit(axis, index, loaded));
          labels.push_back(axis.key + "=" + value_label(axis.values[index]));
        }
      }
      apply_edits(run.config, *run.sources, edits);
      if (plan.max_samples && find_path(run.config, {"dataset"}).IsMap())
        apply_edit(run.config, *run.sources, {{"dataset", "max_samples"}, *plan.max_samples, reader.origin("sweep.max_samples"), nullptr, ""});
      apply_edits(run.config, *run.sources, override_edits);
      for (const auto& label : labels) run.name += (run.name.empty() ? "" : "/") + label;
      if (run.name.empty()) run.name = fallback_name;
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

std::string run_id(const YAML::Node& config, const std::map<std::string, std::string>& inputs) {
  YAML::Node identity(YAML::NodeType::Map);
  if (config.IsMap()) {
    for (const auto& item : config) {
      const std::string key = item.first.Scalar();
      if (key != "name" && key != "description" && key != "output") identity[key] = item.second;
    }
  }
  std::string text = canonical_yaml(identity);
  for (const auto& [section, input] : inputs) text += "\n#inputs " + section + " " + input;
  return hex64(fnv1a_64(text));
}

Shard parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const auto bad = [&] { return ConfigError(format_config_error(kCommandLineOrigin, "--shard", "'" + text + "' is not a shard", "i/N with 0 <= i < N, e.g. 0/4")); };
  if (slash == std::string::npos) throw bad();
  const auto index = parse_int(text.substr(0, slash));
  const auto count = parse_int(text.substr(slash + 1));
  if (!index || !count || *count < 1 || *index < 0 || *index >= *count) throw bad();
  return {static_cast<size_t>(*index), static_cast<size_t>(*count)};
}

}  // namespace wq
