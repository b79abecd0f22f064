// `wq list methods|models|datasets|experiments`: every registered entry with its parameters.
#pragma once

#include <string>

namespace wq {

// Prints the entries of `what` (a section name in singular or plural); returns false when
// `what` is not a section.
bool print_registry_listing(const std::string& what);

}  // namespace wq
