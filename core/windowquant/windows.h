// WindowQuant module 1, first step: cut the quantizable visual tokens into windows of
// consecutive tokens (a token count) or of whole frames (methods.md "windowquant").
#pragma once

#include <vector>

#include "core/method/context_description.h"

namespace wq::windowquant {

struct Window {
  std::vector<int> visual_index;  // indices into ContextDescription::visual_positions
  std::vector<int> positions;     // the same tokens as original positions, ascending
  int size() const { return static_cast<int>(positions.size()); }
};

enum class WindowUnit { tokens, frames };

// quantizable: how many of the FIRST visual tokens may be quantized (the rest sit in the
// residual). tokens: windows of `size` consecutive visual tokens, the last may be short.
// frames: windows of `size` consecutive distinct frame indices. Throws for size < 1.
std::vector<Window> make_windows(const methods::ContextDescription& ctx, int quantizable, WindowUnit unit, int size);

}  // namespace wq::windowquant
