// Vision transformer of Qwen2-VL and Qwen2.5-VL (transformers' Qwen2VisionTransformerPretrained-
// Model and Qwen2_5_VisionTransformerPretrainedModel): a bias-free Conv3d patch embedding over
// temporal_patch_size x patch x patch, blocks with 2-D (row, column) rotary attention that
// never crosses a temporal patch, and the PatchMerger (norm, 2x2 spatial merge, 2-layer GELU
// MLP) into the LLM's width.
//   Qwen2-VL:   LayerNorm blocks, fc1/act/fc2 MLP (quick_gelu), attention over whole frames.
//   Qwen2.5-VL: RMSNorm blocks, SwiGLU MLP with biases, window attention (window_size pixels
//               square) except in fullatt_block_indexes; tokens are permuted window by window
//               before the blocks and the merged tokens permuted back after the merger.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "vlm/models/model_config.h"
#include "vlm/models/qwen2.h"
#include "vlm/models/qwen2_vl_preprocess.h"

namespace wq::models {

class Checkpoint;
class RandomWeights;
struct Qwen2VLVisionWeights;

// Qwen2.5-VL's window layout for one video: `index` orders the merged tokens (t, row, column
// row-major) window by window, frame by frame; `cu_seqlens` are the windows' patch boundaries
// in that order (0 first; transformers' padded empty windows are dropped).
struct VisionWindows {
  std::vector<std::int64_t> index;
  std::vector<std::int64_t> cu_seqlens;
};
VisionWindows vision_windows(const VideoGrid& grid, std::int64_t spatial_merge_size,
                             std::int64_t window_size, std::int64_t patch_size);

// Width of the merged tokens: the LLM's hidden size (Qwen2-VL's vision hidden_size, Qwen2.5-VL's
// out_hidden_size).
std::int64_t vision_output_width(const Qwen2VLConfig& config);

class Qwen2VLVisionTower {
 public:
  // `prefix` ends with '.': "visual." (released and transformers-5 saves) or "model.visual.".
  static Qwen2VLVisionTower load(const Checkpoint& checkpoint, const Qwen2VLConfig& config,
                                 const std::string& prefix, const LoadOptions& options);
  static Qwen2VLVisionTower random(const Qwen2VLConfig& config, RandomWeights& random);

  // pixel_values [grid.patches(), channels * temporal_patch * patch * patch] (the processor's
  // layout) -> merged tokens [grid.patches() / merge^2, LLM hidden] in the processor's order,
  // model dtype.
  at::Tensor forward(const at::Tensor& pixel_values, const VideoGrid& grid) const;

 private:
  Qwen2VLVisionTower(Qwen2VLConfig config, std::shared_ptr<const Qwen2VLVisionWeights> weights);
  Qwen2VLConfig config_;
  std::shared_ptr<const Qwen2VLVisionWeights> weights_;
};

}  // namespace wq::models
