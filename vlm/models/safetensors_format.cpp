// Torch-free safetensors header / shard-index parser (see safetensors_format.h).
#include "vlm/models/safetensors_format.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace wq::models {

using nlohmann::json;

void throw_checkpoint_error(const std::string& file, const std::string& tensor,
                            const std::string& what) {
  std::string msg = file + ": ";
  if (!tensor.empty()) msg += "tensor '" + tensor + "': ";
  msg += what;
  // One line, always: JSON error texts or tensor names could carry newlines.
  std::replace(msg.begin(), msg.end(), '\n', ' ');
  throw CheckpointError(msg);
}

namespace {

struct DTypeRow {
  DType dtype;
  const char* name;
  std::size_t size;
};
// One table for names and sizes (safetensors spellings).
constexpr DTypeRow kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2}, {DType::I64, "I64", 8}, {DType::I32, "I32", 4},
    {DType::I16, "I16", 2}, {DType::I8, "I8", 1}, {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},
};

const DTypeRow& row(DType dtype) {
  for (const auto& r : kDTypes)
    if (r.dtype == dtype) return r;
  throw std::logic_error("unknown DType");
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, bool& overflow) {
  std::uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) overflow = true;
  return out;
}

TensorInfo parse_entry(const std::string& name, const json& entry, std::uint64_t data_size,
                       const std::string& file) {
  if (!entry.is_object()) throw_checkpoint_error(file, name, "header entry is not an object");
  TensorInfo info;
  info.name = name;
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string())
    throw_checkpoint_error(file, name, "missing or non-string 'dtype'");
  auto dtype = parse_dtype(dtype_it->get_ref<const std::string&>());
  if (!dtype)
    throw_checkpoint_error(file, name,
                           "unsupported dtype '" + dtype_it->get<std::string>() + "'");
  info.dtype = *dtype;

  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array())
    throw_checkpoint_error(file, name, "missing or non-array 'shape'");
  bool overflow = false;
  std::uint64_t elements = 1;
  for (const auto& dim : *shape_it) {
    if (!dim.is_number_unsigned() &&
        !(dim.is_number_integer() && dim.get<std::int64_t>() >= 0))
      throw_checkpoint_error(file, name, "shape holds a value that is not a non-negative integer");
    const auto d = dim.get<std::uint64_t>();
    if (d > static_cast<std::uint64_t>(INT64_MAX)) overflow = true;
    elements = checked_mul(elements, d, overflow);
    info.shape.push_back(static_cast<std::int64_t>(d));
  }
  const std::uint64_t bytes = checked_mul(elements, row(info.dtype).size, overflow);
  if (overflow) throw_checkpoint_error(file, name, "shape product overflows");

  auto off_it = entry.find("data_offsets");
  if (off_it == entry.end() || !off_it->is_array() || off_it->size() != 2 ||
      !(*off_it)[0].is_number_unsigned() || !(*off_it)[1].is_number_unsigned())
    throw_checkpoint_error(file, name, "'data_offsets' must be two non-negative integers");
  info.begin = (*off_it)[0].get<std::uint64_t>();
  info.end = (*off_it)[1].get<std::uint64_t>();
  if (info.begin > info.end)
    throw_checkpoint_error(file, name, "data_offsets begin " + std::to_string(info.begin) +
                                           " > end " + std::to_string(info.end));
  if (info.end > data_size)
    throw_checkpoint_error(file, name, "data_offsets end " + std::to_string(info.end) +
                                           " past the data section (" +
                                           std::to_string(data_size) + " bytes)");
  if (info.end - info.begin != bytes)
    throw_checkpoint_error(file, name, "byte size " + std::to_string(info.end - info.begin) +
                                           " != " + dtype_name(info.dtype) + " size x shape = " +
                                           std::to_string(bytes));
  return info;
}

}  // namespace

std::size_t dtype_size(DType dtype) { return row(dtype).size; }
const char* dtype_name(DType dtype) { return row(dtype).name; }

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& r : kDTypes)
    if (name == r.name) return r.dtype;
  return std::nullopt;
}

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

const TensorInfo* SafetensorsHeader::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

std::uint64_t read_header_length(const std::uint8_t* prefix, std::size_t prefix_size,
                                 std::uint64_t file_size, const std::string& file) {
  if (prefix_size < 8 || file_size < 8)
    throw_checkpoint_error(file, "", "truncated: shorter than the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[i];  // little-endian on any host
  if (n > kMaxHeaderBytes)
    throw_checkpoint_error(file, "", "header length " + std::to_string(n) + " exceeds the " +
                                         std::to_string(kMaxHeaderBytes) + "-byte limit");
  if (n > file_size - 8)
    throw_checkpoint_error(file, "", "truncated: header length " + std::to_string(n) +
                                         " runs past the end of the file (" +
                                         std::to_string(file_size) + " bytes)");
  return n;
}

SafetensorsHeader parse_safetensors_header(const std::uint8_t* bytes, std::size_t size,
                                           std::uint64_t file_size, const std::string& file) {
  SafetensorsHeader header;
  header.header_size = read_header_length(bytes, size, file_size, file);
  header.data_offset = 8 + header.header_size;
  header.data_size = file_size - header.data_offset;
  if (size < header.data_offset)
    throw_checkpoint_error(file, "", "truncated: header not fully readable");
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  json doc;
  try {
    // nlohmann rejects ill-formed UTF-8 inside strings, which is the UTF-8 check we need.
    doc = json::parse(text, text + header.header_size);
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("header is not valid UTF-8 JSON: ") + e.what());
  }
  if (!doc.is_object()) throw_checkpoint_error(file, "", "header JSON is not an object");

  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw_checkpoint_error(file, "", "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          throw_checkpoint_error(file, "", "__metadata__ value of '" + m.key() +
                                               "' is not a string");
        header.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_entry(it.key(), *it, header.data_size, file));
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorInfo& a, const TensorInfo& b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  std::uint64_t cursor = 0;
  for (std::size_t i = 0; i < header.tensors.size(); ++i) {
    const auto& t = header.tensors[i];
    if (t.begin < cursor)
      throw_checkpoint_error(file, t.name, "data overlaps tensor '" + header.tensors[i - 1].name +
                                               "'");
    if (t.begin > cursor)
      throw_checkpoint_error(file, t.name, "gap of " + std::to_string(t.begin - cursor) +
                                               " bytes before its data");
    cursor = t.end;
  }
  if (cursor != header.data_size)
    throw_checkpoint_error(file, "", "data section has " + std::to_string(header.data_size) +
                                         " bytes but the tensors cover " +
                                         std::to_string(cursor));
  return header;
}

ShardIndex parse_shard_index(std::string_view json_text, const std::string& file) {
  json doc;
  try {
    doc = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    throw_checkpoint_error(file, "", std::string("index is not valid UTF-8 JSON: ") + e.what());
  }
  if (!doc.is_object()) throw_checkpoint_error(file, "", "index JSON is not an object");
  auto map_it = doc.find("weight_map");
  if (map_it == doc.end() || !map_it->is_object())
    throw_checkpoint_error(file, "", "missing 'weight_map' object");
  ShardIndex index;
  std::set<std::string> shards;
  for (auto it = map_it->begin(); it != map_it->end(); ++it) {
    if (!it->is_string())
      throw_checkpoint_error(file, it.key(), "weight_map value is not a file name");
    const auto& shard = it->get_ref<const std::string&>();
    if (shard.empty() || shard.find('/') != std::string::npos ||
        shard.find('\\') != std::string::npos || shard == "." || shard == "..")
      throw_checkpoint_error(file, it.key(), "shard '" + shard + "' is not a plain file name");
    index.weight_map[it.key()] = shard;
    shards.insert(shard);
  }
  index.shard_files.assign(shards.begin(), shards.end());
  auto meta = doc.find("metadata");
  if (meta != doc.end() && meta->is_object()) {
    auto total = meta->find("total_size");
    if (total != meta->end() && total->is_number_unsigned())
      index.total_size = total->get<std::uint64_t>();
  }
  return index;
}

}  // namespace wq::models
