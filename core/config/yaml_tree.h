// Operations on YAML trees that the loader, the sweep expansion and validation share:
// size-checked deep copies, dotted-key access, the canonical text used for run ids, and the
// flat dotted-key view stored as HDF5 attributes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace wq {

// Limits against pathological inputs. Aliases are expanded when counting, so an "alias
// bomb" (each level referring to the previous one many times) is caught here instead of
// blowing up every later traversal.
inline constexpr size_t kMaxConfigNodes = 200000;
inline constexpr size_t kMaxConfigDepth = 64;

class SourceMap;

// Deep copy with alias sharing broken (so that editing one place never edits another).
// Throws ConfigError ("file: message") when the tree exceeds the limits above, has a map
// key that is not a scalar, or a key written twice in one map. When `sources` is given,
// records "file:line" for every map key and sequence element under the dotted `prefix`
// (yaml-cpp's Clone drops line numbers, so this is the only place they can be read).
YAML::Node checked_clone(const YAML::Node& node, const std::string& file, SourceMap* sources = nullptr,
                         const std::string& prefix = "", size_t max_nodes = kMaxConfigNodes,
                         size_t max_depth = kMaxConfigDepth);

// Splits "method.bits" into {"method", "bits"}; returns {} when a component is empty.
std::vector<std::string> split_dotted(const std::string& key);
std::string join_dotted(const std::vector<std::string>& path);

// The node at `path`, or an invalid-but-safe Node (IsDefined() == false) when absent.
// Never modifies `root`.
YAML::Node find_path(const YAML::Node& root, const std::vector<std::string>& path);
// Sets the node at `path`, creating maps on the way and replacing any non-map in the way.
void set_path(YAML::Node root, const std::vector<std::string>& path, const YAML::Node& value);

// Canonical one-line YAML flow text: map keys sorted, numbers in one stable spelling
// (ints in decimal, floats in their shortest round-trip form), strings quoted only when
// needed. Two configs that mean the same thing give the same text, independently of the
// yaml-cpp version.
std::string canonical_yaml(const YAML::Node& node);
// Scalar text with numbers normalised as in canonical_yaml (used for readable run names).
std::string canonical_scalar_text(const YAML::Node& scalar);

// Dotted key -> text for every leaf: scalars as written, sequences in canonical flow form,
// null as "null", empty maps as "{}".
std::map<std::string, std::string> flatten_config(const YAML::Node& node);

// FNV-1a, 64 bit: a tiny hash that is identical on every platform and compiler.
uint64_t fnv1a_64(const std::string& text);
// 16 lowercase hex digits.
std::string hex64(uint64_t value);

}  // namespace wq
