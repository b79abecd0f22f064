// A tiny proxy checkpoint trained for a couple of steps by the real trainer (shared by the
// eval tests): a complete llava_onevision folder with our own tokenizer.json.
#pragma once

#include <string>

#include "vlm/train/proxy_options.h"

namespace wq::testing {

// Options of a seconds-long training run on 32 px frames (8 of 32 frames, needle and
// flash_count), head dim 16; callers change what they test.
train::ProxyTrainOptions tiny_proxy_options(const std::string& out);

// Trains once per process into a temp folder and returns it.
const std::string& tiny_proxy_checkpoint();

}  // namespace wq::testing
