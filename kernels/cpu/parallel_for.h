// Independent host jobs on every core: job(i) for i in [0, n), each index taken once by one of
// min(n, hardware threads) workers (the caller's thread is one of them). Jobs write only their
// own outputs, so results do not depend on the thread count. No pool outlives the call.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace wq::kernels::cpu {

template <class Job>
void parallel_for(std::size_t n, const Job& job) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < n; i = next++) job(i);
  };
  const std::size_t threads = std::min<std::size_t>(n, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

}  // namespace wq::kernels::cpu
