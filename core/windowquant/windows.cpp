// Window cutting (see windows.h).
#include "core/windowquant/windows.h"

#include <stdexcept>

namespace wq::windowquant {

std::vector<Window> make_windows(const methods::ContextDescription& ctx, int quantizable, WindowUnit unit, int size) {
  if (size < 1) throw std::invalid_argument("windowquant: window size must be >= 1");
  std::vector<Window> windows;
  int frames_in_window = 0;
  for (int i = 0; i < quantizable; ++i) {
    bool start = windows.empty();
    if (!start && unit == WindowUnit::tokens) start = windows.back().size() == size;
    if (!start && unit == WindowUnit::frames && ctx.frame_index[static_cast<size_t>(i)] != ctx.frame_index[static_cast<size_t>(i - 1)]) {
      // A new frame begins: it opens a new window once the current one holds `size` frames.
      if (frames_in_window == size) start = true;
      else ++frames_in_window;
    }
    if (start) {
      windows.emplace_back();
      frames_in_window = 1;
    }
    windows.back().visual_index.push_back(i);
    windows.back().positions.push_back(ctx.visual_positions[static_cast<size_t>(i)]);
  }
  return windows;
}

}  // namespace wq::windowquant
