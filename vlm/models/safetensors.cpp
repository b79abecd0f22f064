// Memory-mapped safetensors loading (see safetensors.h).
#include "vlm/models/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wq::models {

namespace fs = std::filesystem;

class MappedFile {
 public:
  MappedFile(void* data, std::size_t size) : data_(data), size_(size) {}
  ~MappedFile() { munmap(data_, size_); }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* bytes() const { return static_cast<const std::uint8_t*>(data_); }
  std::uint8_t* mutable_bytes() const { return static_cast<std::uint8_t*>(data_); }
  std::size_t size() const { return size_; }

 private:
  void* data_;
  std::size_t size_;
};

namespace {

at::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F64: return at::kDouble;
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I64: return at::kLong;
    case DType::I32: return at::kInt;
    case DType::I16: return at::kShort;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::BOOL: return at::kBool;
  }
  throw std::logic_error("unknown DType");
}

std::string shape_string(at::IntArrayRef shape) {
  std::ostringstream out;
  out << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << ']';
  return out.str();
}

std::shared_ptr<MappedFile> map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_checkpoint_error(path, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw_checkpoint_error(path, "", std::string("cannot stat: ") + std::strerror(err));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw_checkpoint_error(path, "", "truncated: shorter than the 8-byte header length");
  }
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping stays valid after close
  if (data == MAP_FAILED) throw_checkpoint_error(path, "", std::string("mmap failed: ") + std::strerror(err));
  return std::make_shared<MappedFile>(data, size);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_checkpoint_error(path, "", "cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->mapping_ = map_file(path);
  file->header_ = parse_safetensors_header(file->mapping_->bytes(), file->mapping_->size(),
                                           file->mapping_->size(), path);
  return file;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorInfo* info = header_.find(name);
  if (!info) throw_checkpoint_error(path_, name, "missing tensor");
  std::uint8_t* data = mapping_->mutable_bytes() + header_.data_offset + info->begin;
  const auto options = torch::TensorOptions().dtype(to_scalar_type(info->dtype));
  if (reinterpret_cast<std::uintptr_t>(data) % dtype_size(info->dtype) != 0) {
    // Misaligned element data (legal in the format): copy rather than hand torch a pointer
    // its vectorised kernels may not expect.
    at::Tensor out = torch::empty(info->shape, options);
    std::memcpy(out.data_ptr(), data, info->end - info->begin);
    return out;
  }
  auto keep_alive = mapping_;
  return torch::from_blob(data, info->shape, [keep_alive](void*) {}, options);
}

Checkpoint Checkpoint::open(const std::string& path) {
  Checkpoint ckpt;
  std::vector<std::pair<std::string, std::string>> expected;  // tensor -> shard, from the index
  if (fs::is_directory(path)) {
    ckpt.folder_ = path;
    const fs::path index = fs::path(path) / "model.safetensors.index.json";
    const fs::path single = fs::path(path) / "model.safetensors";
    if (fs::exists(index)) {
      ckpt.index_path_ = index.string();
      const ShardIndex parsed = parse_shard_index(read_text(ckpt.index_path_), ckpt.index_path_);
      for (const auto& shard : parsed.shard_files)
        ckpt.files_.push_back(SafetensorsFile::open((fs::path(path) / shard).string()));
      expected.assign(parsed.weight_map.begin(), parsed.weight_map.end());
    } else if (fs::exists(single)) {
      ckpt.index_path_ = single.string();
      ckpt.files_.push_back(SafetensorsFile::open(ckpt.index_path_));
    } else {
      throw_checkpoint_error(path, "", "no model.safetensors or model.safetensors.index.json");
    }
  } else {
    ckpt.folder_ = fs::path(path).parent_path().string();
    ckpt.index_path_ = path;
    ckpt.files_.push_back(SafetensorsFile::open(path));
  }
  for (std::size_t i = 0; i < ckpt.files_.size(); ++i) {
    for (const auto& t : ckpt.files_[i]->header().tensors) {
      if (!ckpt.where_.emplace(t.name, i).second)
        throw_checkpoint_error(ckpt.files_[i]->path(), t.name,
                               "also stored in " + ckpt.files_[ckpt.where_[t.name]]->path());
    }
  }
  // The index and the shards must agree: a tensor the index promises must be in its shard.
  for (const auto& [name, shard] : expected) {
    auto it = ckpt.where_.find(name);
    const std::string shard_path = (fs::path(path) / shard).string();
    if (it == ckpt.where_.end() || ckpt.files_[it->second]->path() != shard_path)
      throw_checkpoint_error(shard_path, name, "missing tensor (listed in " + ckpt.index_path_ + ")");
  }
  return ckpt;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& entry : where_) out.push_back(entry.first);
  return out;
}

std::vector<std::string> Checkpoint::files() const {
  std::vector<std::string> out;
  for (const auto& file : files_) out.push_back(file->path());
  return out;
}

const std::string& Checkpoint::file_of(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? index_path_ : files_[it->second]->path();
}

at::Tensor Checkpoint::get(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw_checkpoint_error(index_path_, name, "missing tensor");
  return files_[it->second]->tensor(name);
}

at::Tensor Checkpoint::get(const std::string& name,
                           const std::vector<std::int64_t>& expected_shape) const {
  at::Tensor t = get(name);
  if (t.sizes() != at::IntArrayRef(expected_shape))
    throw_checkpoint_error(file_of(name), name,
                           "shape mismatch: expected " + shape_string(expected_shape) +
                               ", stored " + shape_string(t.sizes()));
  return t;
}

std::string Checkpoint::resolve(const std::vector<std::string>& names) const {
  for (const auto& name : names)
    if (contains(name)) return name;
  throw_checkpoint_error(index_path_, names.empty() ? "" : names.front(), "missing tensor");
}

}  // namespace wq::models
