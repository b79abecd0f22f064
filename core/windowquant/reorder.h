// WindowQuant module 2: window-level KV layout. Windows are reordered so that all windows of
// one width are contiguous (descending width, original order inside a tier); each tier is
// one uniform segment (keys per-channel along its tokens, values per-token), so a kernel
// streams each segment at one width with no per-token branching. With reorder off the same
// widths stay interleaved in original order (to isolate the hardware effect).
#pragma once

#include <vector>

#include "core/cache/plan.h"
#include "core/windowquant/windows.h"

namespace wq::windowquant {

struct LayoutOptions {
  bool reorder = true;
  int key_group_size = 32;    // tokens per key group (keys are per-channel)
  int value_group_size = 32;  // channels per value group (values are per-token)
};

// widths: one per window. Tokens outside every window (context text, residual) stay full
// precision, after the windows in stored order when reordering. 16-bit windows are left full
// precision too. side_bits_per_head charges one 32-bit index per window for the permutation.
cache::LayerPlan window_layer_plan(const std::vector<Window>& windows, const std::vector<quant::QuantBits>& widths,
                                   int context_tokens, const LayoutOptions& options);

}  // namespace wq::windowquant
