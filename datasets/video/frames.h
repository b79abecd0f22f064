// A stack of RGB frames, the dataset side's only pixel type (no torch dependency).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wq {

// rgb: [count][height][width][3], uint8, row-major.
struct Frames {
  int count = 0, height = 0, width = 0;
  std::vector<uint8_t> rgb;

  size_t frame_bytes() const { return static_cast<size_t>(height) * width * 3; }
  const uint8_t* frame(int i) const { return rgb.data() + frame_bytes() * i; }
  uint8_t* frame(int i) { return rgb.data() + frame_bytes() * i; }
  const uint8_t* pixel(int i, int y, int x) const { return frame(i) + (static_cast<size_t>(y) * width + x) * 3; }
};

}  // namespace wq
