#include "vlm/models/safetensors_writer.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "vlm/models/safetensors_format.h"

namespace wq::models {
namespace {

DType dtype_of(const at::Tensor& t, const std::string& path, const std::string& name) {
  switch (t.scalar_type()) {
    case at::kFloat: return DType::F32;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kLong: return DType::I64;
    case at::kInt: return DType::I32;
    case at::kByte: return DType::U8;
    case at::kBool: return DType::BOOL;
    default: throw_checkpoint_error(path, name, "cannot write dtype " + std::string(c10::toString(t.scalar_type())));
  }
}

}  // namespace

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::map<std::string, at::Tensor> sorted;
  for (const auto& [name, t] : tensors)
    if (!sorted.emplace(name, t.detach().to(at::kCPU).contiguous()).second)
      throw_checkpoint_error(path, name, "duplicate tensor name");
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const auto& [name, t] : sorted) {
    const std::size_t bytes = t.nbytes();
    header[name] = {{"dtype", dtype_name(dtype_of(t, path, name))}, {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_checkpoint_error(path, "", "cannot open for writing");
    std::uint64_t length = text.size();
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(length >> (8 * i));
    out.write(reinterpret_cast<const char*>(le), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, t] : sorted)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    if (!out) throw_checkpoint_error(path, "", "write failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw_checkpoint_error(path, "", "cannot rename the temporary file");
}

}  // namespace wq::models
