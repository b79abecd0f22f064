# PCRE2 (8-bit, UTF + UCP) for the tokenizer's pre-tokenizer split regex: the Qwen2 pattern
# needs \p{L} / \p{N} and lookahead, which std::regex lacks. Included from the top-level
# CMakeLists.txt right after wq_deps is created, so every object library inherits it.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
target_link_libraries(wq_deps INTERFACE PkgConfig::PCRE2)
