#include "core/config/config_edit.h"

#include <algorithm>

#include "core/config/schema.h"
#include "core/config/yaml_tree.h"

namespace wq {
namespace {

// The selector value of a section map as canonical text, or "" when it has none.
std::string selector_value(const YAML::Node& section, const std::string& selector) {
  if (!section.IsMap()) return "";
  const YAML::Node value = section[selector];
  return value.IsDefined() ? canonical_yaml(value) : "";
}

void merge_rec(YAML::Node base, SourceMap& base_sources, const YAML::Node& top, const SourceMap& top_sources,
               const std::string& prefix) {
  for (const auto& item : top) {
    const std::string name = item.first.Scalar();
    const std::string key = child_key(prefix, name);
    const YAML::Node& const_base = base;
    const YAML::Node existing = const_base[name];
    bool merge = existing.IsDefined() && existing.IsMap() && item.second.IsMap();
    if (merge && prefix.empty()) {
      if (const char* selector = section_selector(name)) {
        const std::string old_value = selector_value(existing, selector);
        const std::string new_value = selector_value(item.second, selector);
        if (!old_value.empty() && !new_value.empty() && old_value != new_value) merge = false;
      }
    }
    if (merge) {
      const std::string origin = top_sources.find(key);
      if (!origin.empty()) base_sources.set(key, origin);
      merge_rec(existing, base_sources, item.second, top_sources, key);
    } else {
      base_sources.erase_subtree(key);
      base_sources.copy_subtree(top_sources, key, key);
      base[name] = item.second;
    }
  }
}

int edit_priority(const ConfigEdit& edit) {
  if (edit.path.size() == 1) return 0;
  if (edit.path.size() == 2) {
    const char* selector = section_selector(edit.path[0]);
    if (selector && edit.path[1] == selector) return 1;
  }
  return 2;
}

}  // namespace

void merge_config(YAML::Node base, SourceMap& base_sources, const YAML::Node& top, const SourceMap& top_sources) {
  if (top.IsMap()) merge_rec(base, base_sources, top, top_sources, "");
}

void apply_edit(YAML::Node root, SourceMap& sources, const ConfigEdit& edit) {
  if (edit.path.empty()) return;
  const std::string key = join_dotted(edit.path);
  if (edit_priority(edit) == 1) {
    const YAML::Node section = find_path(root, {edit.path[0]});
    const std::string old_value = selector_value(section, edit.path[1]);
    if (!old_value.empty() && old_value != canonical_yaml(edit.value)) {
      root[edit.path[0]] = YAML::Node(YAML::NodeType::Map);
      sources.erase_subtree(edit.path[0]);
    }
  }
  sources.erase_subtree(key);
  sources.set(key, edit.origin);
  if (edit.value_sources) sources.copy_subtree(*edit.value_sources, edit.value_key, key);
  // Values are cloned so that one axis value set into many runs is never shared between them.
  set_path(root, edit.path, YAML::Clone(edit.value));
}

void apply_edits(YAML::Node root, SourceMap& sources, const std::vector<ConfigEdit>& edits) {
  std::vector<const ConfigEdit*> ordered;
  for (const auto& edit : edits) ordered.push_back(&edit);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const ConfigEdit* a, const ConfigEdit* b) { return edit_priority(*a) < edit_priority(*b); });
  for (const ConfigEdit* edit : ordered) apply_edit(root, sources, *edit);
}

}  // namespace wq
