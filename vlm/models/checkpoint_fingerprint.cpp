#include "vlm/models/checkpoint_fingerprint.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "vlm/models/safetensors_format.h"

namespace wq::models {
namespace {

class Fnv1a64 {
 public:
  void add(const char* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      hash_ ^= static_cast<unsigned char>(data[i]);
      hash_ *= 1099511628211ull;
    }
  }
  void add(const std::string& text) { add(text.data(), text.size() + 1); }  // with its NUL: a separator
  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  std::uint64_t hash_ = 14695981039346656037ull;
};

// Appends `size` bytes of `in` from `offset`; fails naming the file when they are not there.
void add_bytes(Fnv1a64& hash, std::ifstream& in, const std::string& file, std::uint64_t offset, std::size_t size) {
  std::string buffer(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(buffer.data(), static_cast<std::streamsize>(size)))
    throw_checkpoint_error(file, "", "cannot read " + std::to_string(size) + " bytes at offset " + std::to_string(offset));
  hash.add(buffer.data(), buffer.size());
}

}  // namespace

std::string checkpoint_fingerprint(const std::vector<std::string>& text_files,
                                   const std::vector<std::string>& weight_files) {
  namespace fs = std::filesystem;
  Fnv1a64 hash;
  for (const std::string& file : text_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_checkpoint_error(file, "", "cannot open");
    hash.add(fs::path(file).filename().string());
    add_bytes(hash, in, file, 0, static_cast<std::size_t>(fs::file_size(file)));
  }
  for (const std::string& file : weight_files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw_checkpoint_error(file, "", "cannot open");
    const std::uint64_t size = fs::file_size(file);
    hash.add(fs::path(file).filename().string());
    hash.add(std::to_string(size));
    unsigned char length_bytes[8] = {};
    if (!in.read(reinterpret_cast<char*>(length_bytes), 8)) throw_checkpoint_error(file, "", "shorter than 8 bytes");
    std::uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | length_bytes[i];  // little-endian
    if (header_bytes > size - 8) throw_checkpoint_error(file, "", "header length past the end of the file");
    add_bytes(hash, in, file, 8, static_cast<std::size_t>(header_bytes));
    const std::uint64_t data_begin = 8 + header_bytes;
    const std::uint64_t data_bytes = size - data_begin;
    const std::uint64_t block = std::min<std::uint64_t>(kSampledBlockBytes, data_bytes);
    if (block == 0) continue;
    for (int k = 0; k < kSampledBlocks; ++k) {
      const std::uint64_t offset = data_begin + (data_bytes - block) * k / (kSampledBlocks - 1);
      add_bytes(hash, in, file, offset, static_cast<std::size_t>(block));
    }
  }
  return "fnv1a64:" + hash.hex();
}

}  // namespace wq::models
