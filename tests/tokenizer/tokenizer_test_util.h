// Shared helpers of the tokenizer tests: locating the fetched Qwen tokenizer.json.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "vlm/tokenizer/tokenizer.h"

namespace wq::tokenizer::testing {

// $WQ_TEST_ASSETS/qwen3/tokenizer.json, default <repo>/.cache/test-assets (written by
// scripts/fetch_test_assets.sh). Empty when absent.
inline std::string qwen_tokenizer_path() {
  const char* env = std::getenv("WQ_TEST_ASSETS");
  const std::filesystem::path root = env && *env ? std::filesystem::path(env)
                                                 : std::filesystem::path(WQ_SOURCE_DIR) / ".cache" / "test-assets";
  const std::filesystem::path path = root / "qwen3" / "tokenizer.json";
  return std::filesystem::exists(path) ? path.string() : std::string();
}

inline const char* kMissingAssets =
    "Qwen tokenizer.json not found: run scripts/fetch_test_assets.sh (or set WQ_TEST_ASSETS)";

// Loaded once per test binary: parsing 11 MB of JSON takes about a second.
inline const Tokenizer* qwen_tokenizer() {
  static const std::unique_ptr<Tokenizer> tokenizer = []() -> std::unique_ptr<Tokenizer> {
    const std::string path = qwen_tokenizer_path();
    if (path.empty()) return nullptr;
    return std::make_unique<Tokenizer>(Tokenizer::from_file(path));
  }();
  return tokenizer.get();
}

inline nlohmann::json load_fixture(const std::string& name) {
  std::ifstream in(std::string(WQ_TEST_DATA_DIR) + "/tokenizer/" + name);
  return nlohmann::json::parse(in);
}

// The golden cases, parsed once. Returned by reference to a static: a range-for over
// `load_fixture(...).at("cases")` would dangle, as the temporary dies before the loop.
inline const nlohmann::json& golden_cases() {
  static const nlohmann::json cases = load_fixture("expected_ids.json").at("cases");
  return cases;
}

}  // namespace wq::tokenizer::testing
