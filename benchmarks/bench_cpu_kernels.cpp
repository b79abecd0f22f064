// Google Benchmark for the CPU kernels: vectorised attention vs its scalar reference twin over
// a packed WindowQuant-style cache, and quantize+pack (core/quant) at one head's shape. CI runs
// it with --benchmark_min_time=0.01 (ctest label `bench`): it must build and run, not rank.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/cache/kernel_views.h"
#include "core/quant/quantize.h"
#include "kernels/cpu/cpu_attention.h"
#include "kernels/cpu/half.h"
#include "kernels/cpu/reference_attention.h"

namespace {

namespace q = wq::quant;
using namespace wq::kernels;
using wq::cache::view_of;

std::vector<float> fp16_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = round_to_half(nd(rng));
  return x;
}

// One KV head, tiers 4/2/1 bits over `tokens` (25/25/50 %), KIVI layout, G = 32.
struct packed_head {
  std::vector<q::QTensor> tensors;
  std::vector<segment_view> table;
  packed_head(int tokens, int head_dim) {
    const int sizes[] = {tokens / 4, tokens / 4, tokens - 2 * (tokens / 4)};
    const q::QuantBits bits[] = {q::QuantBits::b4, q::QuantBits::b2, q::QuantBits::b1};
    q::QuantizeOptions opt;
    opt.allow_partial_token_group = true;
    tensors.reserve(6);
    for (int i = 0; i < 3; ++i) {
      const auto k = fp16_values(static_cast<size_t>(sizes[i]) * head_dim, 10 + i);
      const auto v = fp16_values(static_cast<size_t>(sizes[i]) * head_dim, 20 + i);
      tensors.push_back(q::quantize(k.data(), sizes[i], head_dim, q::uniform_spec(bits[i], 32, q::GroupAxis::tokens), opt));
      tensors.push_back(q::quantize(v.data(), sizes[i], head_dim, q::uniform_spec(bits[i], 32, q::GroupAxis::channels), opt));
      segment_view s;
      s.tokens = sizes[i];
      s.key = view_of(tensors[2 * i]);
      s.value = view_of(tensors[2 * i + 1]);
      table.push_back(s);
    }
  }
};

template <bool Fast>
void BM_decode_attention(benchmark::State& state) {
  const int tokens = static_cast<int>(state.range(0)), D = 128;
  packed_head head(tokens, D);
  attention_shape shape;
  shape.q_heads = 7;  // one Qwen2-7B GQA group
  shape.kv_heads = 1;
  shape.head_dim = D;
  shape.num_segments = static_cast<int>(head.table.size());
  shape.max_tiles = finalize_segment_table(head.table.data(), 1, shape.num_segments);
  const auto qv = fp16_values(static_cast<size_t>(7) * D, 3);
  std::vector<float> out(qv.size());
  for (auto _ : state) {
    if (Fast) cpu::cpu_attention(shape, qv.data(), head.table.data(), out.data());
    else cpu::reference_attention(shape, qv.data(), head.table.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * tokens);
}
BENCHMARK_TEMPLATE(BM_decode_attention, true)->Arg(4096)->Arg(16384)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_decode_attention, false)->Arg(4096)->Unit(benchmark::kMicrosecond);

void BM_quantize_pack(benchmark::State& state) {
  const int tokens = 4096, D = 128;
  const auto x = fp16_values(static_cast<size_t>(tokens) * D, 5);
  const auto axis = state.range(1) ? q::GroupAxis::tokens : q::GroupAxis::channels;
  const q::QuantSpec spec = q::uniform_spec(q::quant_bits_from_int(static_cast<int>(state.range(0))), 32, axis);
  for (auto _ : state) {
    auto t = q::quantize(x.data(), tokens, D, spec);
    benchmark::DoNotOptimize(t.words.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(x.size()) * 2);
}
BENCHMARK(BM_quantize_pack)->Args({2, 1})->Args({2, 0})->Args({4, 1})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
