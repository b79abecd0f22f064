// The compress pipeline: validate, plan (t_search), build (t_quant).
#include "core/method/compress.h"

namespace wq::methods {

double HostLapClock::lap_ms() {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - start_).count();
  start_ = now;
  return ms;
}

CompressedKv compress_timed(KvMethod& method, const cache::FullKv& kv, const ContextDescription& ctx,
                            cache::CacheMode mode, LapClock* clock) {
  HostLapClock host_clock;
  LapClock& timer = clock ? *clock : host_clock;
  ctx.validate(kv);
  timer.lap_ms();
  CompressedKv out;
  out.plan = method.plan(kv, ctx);
  out.t_search_ms = timer.lap_ms();
  out.cache = cache::build_cache(kv, out.plan, mode);
  out.t_quant_ms = timer.lap_ms();
  return out;
}

cache::KvCache compress(KvMethod& method, const cache::FullKv& kv, const ContextDescription& ctx,
                        cache::CacheMode mode) {
  return compress_timed(method, kv, ctx, mode).cache;
}

}  // namespace wq::methods
