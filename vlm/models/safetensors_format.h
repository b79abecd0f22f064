// Safetensors header and shard-index parsing, torch-free so that the libFuzzer target
// (fuzz/safetensors_fuzzer.cpp) builds with clang alone.
//
// Layout (authority: huggingface/safetensors, "Format"): 8-byte little-endian header length
// N, N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end)}, optional
// "__metadata__": {string: string}}, then the data; offsets are relative to the data start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wq::models {

// Every loading failure (corrupt file, lying header, missing tensor, shape mismatch,
// unsupported architecture) is a CheckpointError whose what() is one line naming the file
// and, where there is one, the tensor.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "<file>: tensor '<name>': <what>" (tensor part omitted when empty).
[[noreturn]] void throw_checkpoint_error(const std::string& file, const std::string& tensor,
                                         const std::string& what);

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // safetensors spelling: "F32", "BF16", ...
std::optional<DType> parse_dtype(std::string_view name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offsets relative to the data section, [begin, end)
  std::uint64_t end = 0;
  std::int64_t numel() const;
};

struct SafetensorsHeader {
  std::uint64_t header_size = 0;  // N
  std::uint64_t data_offset = 0;  // 8 + N: where the data section starts in the file
  std::uint64_t data_size = 0;    // file size - data_offset
  std::vector<TensorInfo> tensors;  // sorted by begin offset
  std::map<std::string, std::string> metadata;
  const TensorInfo* find(const std::string& name) const;
};

// Header JSON longer than this is rejected before any allocation (the reference
// implementation caps it at 100 MB too): a lying length must not make us allocate gigabytes.
inline constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

// Reads N from the first 8 bytes and checks 8 + N <= file_size. `prefix` holds at least
// 8 bytes of the file.
std::uint64_t read_header_length(const std::uint8_t* prefix, std::size_t prefix_size,
                                 std::uint64_t file_size, const std::string& file);

// Parses and validates a whole header. `bytes` starts at the beginning of the file and holds
// at least 8 + N bytes; `file_size` is the size of the whole file. Checks: N within the file,
// UTF-8 JSON object, known dtypes, non-negative shapes, begin <= end inside the data section,
// end - begin == dtype size x product of shape (overflow-checked), no overlaps and no gaps
// (the reference validator also requires the tensors to tile the data section).
SafetensorsHeader parse_safetensors_header(const std::uint8_t* bytes, std::size_t size,
                                           std::uint64_t file_size, const std::string& file);

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}.
struct ShardIndex {
  std::map<std::string, std::string> weight_map;
  std::vector<std::string> shard_files;  // distinct, sorted
  std::optional<std::uint64_t> total_size;  // metadata.total_size when present
};

// Shard names must be plain file names (no '/', no "..": an index must not point outside
// its checkpoint folder).
ShardIndex parse_shard_index(std::string_view json_text, const std::string& file);

}  // namespace wq::models
