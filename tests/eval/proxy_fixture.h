// A tiny proxy checkpoint trained for a couple of steps by the real trainer (shared by the
// eval tests): a complete llava_onevision folder with our own tokenizer.json.
#pragma once

#include <string>

namespace wq::testing {

// Trains once per process into a temp folder and returns it.
const std::string& tiny_proxy_checkpoint();

}  // namespace wq::testing
