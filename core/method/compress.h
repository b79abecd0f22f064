// The one compress pipeline (protocol.md step 5) that the evaluation protocol and every
// experiment kind call: a configured method, the full-precision cache and the sample's
// description in; the compressed cache and how long deciding and applying the plan took out.
#pragma once

#include <chrono>

#include "core/cache/kv_cache.h"
#include "core/method/context_description.h"
#include "core/method/kv_method.h"

namespace wq::methods {

// A stopwatch the pipeline reads between its phases. The default measures host wall time;
// the model side passes one that first waits for the GPU, so queued device work is counted.
class LapClock {
 public:
  virtual ~LapClock() = default;
  // Milliseconds since construction or the previous lap.
  virtual double lap_ms() = 0;
};

class HostLapClock : public LapClock {
 public:
  double lap_ms() override;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct CompressedKv {
  cache::Plan plan;  // the method's decision (what a builder outside core, e.g. on a GPU, applies)
  cache::KvCache cache;
  double t_search_ms = 0;  // the method's decision: plan() (statistics, scores, bit allocation)
  double t_quant_ms = 0;   // applying the plan: reorder, quantize, pack, byte accounting
};

// Validates ctx against kv, plans and builds the cache in `mode`. kv: [layers][kv_heads][T][D]
// fp32. clock: nullptr = host wall time.
CompressedKv compress_timed(KvMethod& method, const cache::FullKv& kv, const ContextDescription& ctx,
                            cache::CacheMode mode, LapClock* clock = nullptr);

// The same pipeline when only the cache is wanted.
cache::KvCache compress(KvMethod& method, const cache::FullKv& kv, const ContextDescription& ctx,
                        cache::CacheMode mode = cache::CacheMode::simulate);

}  // namespace wq::methods
