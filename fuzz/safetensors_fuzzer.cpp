// libFuzzer entry point over the safetensors header and shard-index parsers. Torch-free:
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     fuzz/safetensors_fuzzer.cpp vlm/models/safetensors_format.cpp -o safetensors_fuzzer
// The first input byte picks the parser; the rest is treated as a whole file (header
// parser) or as index JSON. Only CheckpointError may escape the parsers; anything else
// (another exception type, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vlm/models/safetensors_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool index_mode = data[0] & 1;
  const std::uint8_t* body = data + 1;
  const std::size_t n = size - 1;
  try {
    if (index_mode) {
      auto index = wq::models::parse_shard_index(
          std::string_view(reinterpret_cast<const char*>(body), n), "fuzz.index.json");
      // Invariant: every shard named by the map is listed once.
      for (const auto& entry : index.weight_map)
        if (entry.second.empty()) __builtin_trap();
    } else {
      auto header = wq::models::parse_safetensors_header(body, n, n, "fuzz.safetensors");
      // Invariants the loader relies on: every tensor lies inside the data section and
      // the tensors are ordered and disjoint.
      std::uint64_t cursor = 0;
      for (const auto& t : header.tensors) {
        if (t.begin < cursor || t.end < t.begin || t.end > header.data_size) __builtin_trap();
        if (header.data_offset + t.end > n) __builtin_trap();
        cursor = t.end;
      }
    }
  } catch (const wq::models::CheckpointError&) {
  }
  return 0;
}
