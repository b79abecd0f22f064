// Identity of a checkpoint without reading its weights in full: part of every run id, so that
// a checkpoint replaced at the same path (and resumed into the same results file) is another
// run, and recorded with the run.
#pragma once

#include <string>
#include <vector>

namespace wq::models {

// "fnv1a64:<16 hex>" over, in order: each of `text_files` (name and bytes: config.json, the
// processor config, tokenizer.json), then per .safetensors file of `weight_files` its name,
// size, header (every tensor's name, dtype, shape and offsets) and kSampledBlocks blocks of
// its data at evenly spaced offsets (weights of the same shapes but other values almost
// surely differ there; reading all of a 7B checkpoint would cost seconds per validation).
// Names are file names without their folder, so a checkpoint copied elsewhere keeps its
// identity. Throws CheckpointError naming a file it cannot read.
std::string checkpoint_fingerprint(const std::vector<std::string>& text_files,
                                   const std::vector<std::string>& weight_files);

constexpr int kSampledBlocks = 16;
constexpr std::size_t kSampledBlockBytes = 4096;

}  // namespace wq::models
