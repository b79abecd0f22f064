// "Did you mean" suggestions for misspelt keys and names.
#pragma once

#include <string>
#include <vector>

namespace wq {

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, so that
// "bist" -> "bits" counts as one edit).
size_t edit_distance(const std::string& a, const std::string& b);

// The closest candidate within max(1, length/3) edits (ties: first in `candidates`), or "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c" (at most `limit` names, then ", ...").
std::string join_names(const std::vector<std::string>& names, size_t limit = 20);

}  // namespace wq
