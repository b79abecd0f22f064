#include "core/config/source_map.h"

#include <vector>

namespace wq {
namespace {

// True when `key` is `root` itself or lies below it.
bool in_subtree(const std::string& key, const std::string& root) {
  if (key.compare(0, root.size(), root) != 0) return false;
  if (key.size() == root.size()) return true;
  const char next = key[root.size()];
  return next == '.' || next == '[';
}

}  // namespace

std::string element_key(const std::string& key, size_t index) {
  return key + "[" + std::to_string(index) + "]";
}

std::string child_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

void SourceMap::set(const std::string& key, const std::string& origin) { entries_[key] = origin; }

std::string SourceMap::find(const std::string& key) const {
  std::string current = key;
  while (!current.empty()) {
    auto it = entries_.find(current);
    if (it != entries_.end()) return it->second;
    const size_t cut = current.find_last_of(".[");
    if (cut == std::string::npos) break;
    current.resize(cut);
  }
  return "";
}

void SourceMap::erase_subtree(const std::string& key) {
  // Every string that starts with `key` sorts in one contiguous run from lower_bound(key);
  // within it, skip siblings such as "method.bits2" when erasing "method.bits".
  for (auto it = entries_.lower_bound(key); it != entries_.end();) {
    if (it->first.compare(0, key.size(), key) != 0) break;
    if (in_subtree(it->first, key)) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void SourceMap::copy_subtree(const SourceMap& other, const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, std::string>> copied;
  for (auto it = other.entries_.lower_bound(from); it != other.entries_.end(); ++it) {
    if (it->first.compare(0, from.size(), from) != 0) break;
    if (!in_subtree(it->first, from)) continue;
    copied.emplace_back(to + it->first.substr(from.size()), it->second);
  }
  // Collected first so that copying a map onto itself is safe.
  for (auto& [key, origin] : copied) entries_[key] = origin;
}

}  // namespace wq
