// Writes tensors as one .safetensors file in the layout Hugging Face reads (8-byte header
// length, JSON header with sorted names, data in that order, header padded to 8 bytes), so
// that checkpoints trained here load in transformers and in our own reader.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "vlm/models/qwen2.h"

namespace wq::models {

// Tensors are written contiguous on the CPU in their own dtype (F32, F16, BF16, I64, I32,
// U8, BOOL). Written to `path`.tmp then renamed, so a killed writer leaves no torn file.
// Throws CheckpointError naming the path on failure or an unsupported dtype.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace wq::models
