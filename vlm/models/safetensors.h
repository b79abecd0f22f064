// Memory-mapped safetensors checkpoints, single-file or sharded, as Hugging Face ships them.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vlm/models/safetensors_format.h"

namespace wq::models {

class MappedFile;

// One .safetensors file, mapped copy-on-write (MAP_PRIVATE): tensors are zero-copy views of
// the mapping, and an in-place write by a caller changes its private page, never the file.
class SafetensorsFile {
 public:
  // Throws CheckpointError (one line naming the file) if the file is missing, truncated or
  // its header fails validation.
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return path_; }
  const SafetensorsHeader& header() const { return header_; }
  bool contains(const std::string& name) const { return header_.find(name) != nullptr; }

  // CPU tensor with the stored dtype and shape (F32/F16/BF16 -> float/half/bfloat16; integer
  // and bool types map to their torch twins). Throws if `name` is absent. The tensor keeps the
  // mapping alive; data whose offset is misaligned for its element type is copied instead.
  at::Tensor tensor(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  std::shared_ptr<MappedFile> mapping_;
  SafetensorsHeader header_;
};

// A checkpoint folder (model.safetensors, or model.safetensors.index.json with its shards)
// or one .safetensors file.
class Checkpoint {
 public:
  static Checkpoint open(const std::string& path);

  const std::string& folder() const { return folder_; }
  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  std::vector<std::string> names() const;
  // The .safetensors files, in load order.
  std::vector<std::string> files() const;
  // File that holds `name` (for error messages); the index file path if it is absent.
  const std::string& file_of(const std::string& name) const;

  // Throws "missing tensor" naming the file (the index for sharded checkpoints).
  at::Tensor get(const std::string& name) const;
  // As get(), and throws "shape mismatch: expected [..], stored [..]" when the shape differs.
  at::Tensor get(const std::string& name, const std::vector<std::int64_t>& expected_shape) const;
  // First of `names` that the checkpoint holds (checkpoints of one family name their tensors
  // in several layouts); throws missing-tensor naming the first candidate.
  std::string resolve(const std::vector<std::string>& names) const;

 private:
  std::string folder_;
  std::string index_path_;  // model.safetensors.index.json or the single file
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, std::size_t> where_;  // tensor -> position in files_
};

}  // namespace wq::models
