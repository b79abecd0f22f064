// SourceMap: where each dotted key of a config came from, so that every error message can
// point at the line to edit. Origins are "file:line", "<command line>" for overrides and
// "<default>" for values filled in from a ParamSpec default.
//
// Keys are dotted paths ("method.bits"); sequence elements use brackets ("sweep.zip[1]").
// A key without its own entry reports its nearest ancestor's origin.
#pragma once

#include <map>
#include <string>

namespace wq {

inline constexpr const char* kCommandLineOrigin = "<command line>";
inline constexpr const char* kDefaultOrigin = "<default>";

class SourceMap {
 public:
  void set(const std::string& key, const std::string& origin);
  // Origin of `key` or of its nearest ancestor with one; "" when none is known.
  std::string find(const std::string& key) const;
  // Removes `key` and everything below it (key.x, key[i]).
  void erase_subtree(const std::string& key);
  // Copies the entries of `other` at and below `from` into this map, renamed below `to`.
  void copy_subtree(const SourceMap& other, const std::string& from, const std::string& to);
  const std::map<std::string, std::string>& entries() const { return entries_; }

 private:
  std::map<std::string, std::string> entries_;
};

// The key of one element of the sequence at `key`: "key[index]".
std::string element_key(const std::string& key, size_t index);
// "prefix.key", or "key" when prefix is empty.
std::string child_key(const std::string& prefix, const std::string& key);

}  // namespace wq
