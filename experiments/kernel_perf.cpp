// Experiment kind `kernel_perf`: times the attention and quantize+pack kernels at model shapes
// and records one row per (device, kernel, batch, tokens, bits) in the run record, with the
// bytes each kernel must read so bandwidth can be read off. CPU kernels always; CUDA kernels
// when the build has them (WQ_HAVE_CUDA_KERNELS) and a GPU is present at run time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cache/kernel_views.h"
#include "core/config/registry.h"
#include "core/quant/half.h"
#include "core/quant/quantize.h"
#include "experiments/experiment.h"
#include "kernels/cpu/cpu_attention.h"

#ifdef WQ_HAVE_CUDA_KERNELS
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_cache.cuh"
#include "kernels/cuda/event_timer.cuh"
#endif

namespace wq {
namespace {

namespace q = wq::quant;
using namespace wq::kernels;
using wq::cache::view_of;

struct perf_options {
  int head_dim, q_heads, kv_heads, repeats;
  std::vector<long long> tokens, batch, bits;
  std::string device;
};

std::vector<uint16_t> random_fp16(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<uint16_t> out(n);
  for (auto& v : out) v = q::float_to_half(nd(rng));
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void add_row(RunRecord& r, const std::string& device, const std::string& kernel, long long batch, long long tokens,
             long long bits, double us, double bytes) {
  r.samples.add_row({{"device", device}, {"kernel", kernel}, {"batch", static_cast<int64_t>(batch)},
                     {"tokens", static_cast<int64_t>(tokens)}, {"bits", static_cast<int64_t>(bits)},
                     {"time_us", us}, {"bytes", bytes}, {"gbps", bytes / us / 1e3}});
  r.metrics[device + "/" + kernel + "/b" + std::to_string(batch) + "/t" + std::to_string(tokens) + "/bits" +
            std::to_string(bits) + "/time_us"] = us;
}

// CPU: one packed KIVI-layout head per sequence and KV head (G = 32), timed with a wall clock.
void run_cpu(const perf_options& o, RunRecord& record, ProgressSink& progress, size_t& done, size_t total) {
  for (long long batch : o.batch)
    for (long long tokens : o.tokens)
      for (long long bits : o.bits) {
        std::vector<q::QTensor> tensors;
        tensors.reserve(static_cast<size_t>(2 * batch * o.kv_heads));
        const q::QuantSpec ks = q::uniform_spec(q::quant_bits_from_int(static_cast<int>(bits)), 32, q::GroupAxis::tokens);
        const q::QuantSpec vs = q::uniform_spec(q::quant_bits_from_int(static_cast<int>(bits)), 32, q::GroupAxis::channels);
        q::QuantizeOptions opt;
        opt.allow_partial_token_group = true;
        std::vector<double> pack_us;
        double bytes = 0;
        // The CPU views are per head (no head stride): one segment table per (sequence, head).
        std::vector<std::vector<segment_view>> tables;
        for (long long b = 0; b < batch; ++b)
          for (int h = 0; h < o.kv_heads; ++h) {
            std::vector<float> k(static_cast<size_t>(tokens) * o.head_dim), v(k.size());
            const auto kb = random_fp16(k.size(), static_cast<uint32_t>(b * 131 + h));
            const auto vb = random_fp16(k.size(), static_cast<uint32_t>(b * 131 + h + 7));
            for (size_t i = 0; i < k.size(); ++i) k[i] = q::half_to_float(kb[i]), v[i] = q::half_to_float(vb[i]);
            const auto t0 = std::chrono::steady_clock::now();
            tensors.push_back(q::quantize(k.data(), static_cast<int>(tokens), o.head_dim, ks, opt));
            tensors.push_back(q::quantize(v.data(), static_cast<int>(tokens), o.head_dim, vs, opt));
            pack_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
            segment_view s;
            s.tokens = static_cast<int>(tokens);
            s.key = view_of(tensors[tensors.size() - 2]);
            s.value = view_of(tensors.back());
            bytes += tensors[tensors.size() - 2].total_bytes() + tensors.back().total_bytes();
            tables.push_back({s});
          }
        add_row(record, "cpu", "quantize_pack", batch, tokens, bits, median(pack_us) * batch * o.kv_heads,
                static_cast<double>(batch) * o.kv_heads * tokens * o.head_dim * 2 * 2 + bytes);
        attention_shape shape;
        shape.q_heads = o.q_heads / o.kv_heads;  // one GQA group per (sequence, head) table
        shape.kv_heads = 1;
        shape.head_dim = o.head_dim;
        shape.num_segments = 1;
        std::vector<float> qv(static_cast<size_t>(shape.q_heads) * o.head_dim, 0.5f), out(qv.size());
        std::vector<double> times;
        for (int r = 0; r < o.repeats; ++r) {
          const auto t0 = std::chrono::steady_clock::now();
          for (auto& t : tables) {
            shape.max_tiles = finalize_segment_table(t.data(), 1, 1);
            cpu::cpu_attention(shape, qv.data(), t.data(), out.data());
          }
          times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        }
        add_row(record, "cpu", "decode_attention", batch, tokens, bits, median(times), bytes);
        progress.update(++done, total, "cpu");
      }
}

#ifdef WQ_HAVE_CUDA_KERNELS
bool gpu_present() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

void run_cuda(const perf_options& o, RunRecord& record, ProgressSink& progress, size_t& done, size_t total) {
  cudaStream_t stream = nullptr;
  event_timer timer(stream);  // as the GPU bench times: L2 flushed, median
  auto time_us = [&](const std::function<void()>& fn) { return timer.median_us(fn, o.repeats); };
  for (long long batch : o.batch)
    for (long long tokens : o.tokens) {
      const size_t n = static_cast<size_t>(batch) * o.kv_heads * tokens * o.head_dim;
      const auto kb = random_fp16(n, 1), vb = random_fp16(n, 2);
      const auto qb = random_fp16(static_cast<size_t>(batch) * o.q_heads * o.head_dim, 3);
      device_buffer dk(n * 2), dv(n * 2), dq(qb.size() * 2), dout(qb.size() * 2);
      WQ_CUDA_CHECK(cudaMemcpy(dk.get(), kb.data(), n * 2, cudaMemcpyHostToDevice));
      WQ_CUDA_CHECK(cudaMemcpy(dv.get(), vb.data(), n * 2, cudaMemcpyHostToDevice));
      WQ_CUDA_CHECK(cudaMemcpy(dq.get(), qb.data(), qb.size() * 2, cudaMemcpyHostToDevice));
      for (long long bits : o.bits) {
        segment_spec s;
        s.tokens = static_cast<int>(tokens);
        s.key.storage = s.value.storage = tensor_spec::kind::packed;
        s.key.pack.bits = s.value.pack.bits = static_cast<int>(bits);
        s.key.pack.per_channel = true;
        s.key.pack.group_size = s.value.pack.group_size = 128;
        device_cache cache(dk.get(), dv.get(), input_dtype::f16, static_cast<int>(batch), o.kv_heads, static_cast<int>(tokens),
                           o.head_dim, {s}, stream);
        attention_shape shape;
        shape.batch = static_cast<int>(batch);
        shape.q_heads = o.q_heads;
        shape.kv_heads = o.kv_heads;
        shape.head_dim = o.head_dim;
        shape.num_segments = cache.num_segments();
        shape.max_tiles = cache.max_tiles();
        shape.fast_formats = classify_table(cache.table().data(), static_cast<int64_t>(cache.table().size()));
        device_buffer ws(attention_workspace_bytes(shape));
        const double t_att = time_us([&] {
          attention_over_segments(shape, dq.get(), cache.device_table(), dout.get(), nullptr, ws.get(), ws.bytes(), stream);
        });
        add_row(record, "cuda", "decode_attention", batch, tokens, bits, t_att, static_cast<double>(cache.attention_bytes()));
        // What merely reading that many bytes costs (read_floor.cuh: the best of its grids).
        const size_t floor_bytes = cache.attention_bytes() / 4 * 4;
        const device_buffer floor_data(floor_bytes);
        const double t_floor = timer.read_floor_us(floor_data.get(), floor_bytes);
        add_row(record, "cuda", "read_floor", batch, tokens, bits, t_floor, static_cast<double>(floor_bytes));
        const double t_pack = time_us([&] { cache.requantize(stream); });
        add_row(record, "cuda", "quantize_pack", batch, tokens, bits, t_pack,
                static_cast<double>(cache.pack_read_bytes() + cache.pack_write_bytes()));
        progress.update(++done, total, "cuda");
      }
    }
}
#endif

class KernelPerf : public Experiment {
 public:
  explicit KernelPerf(perf_options o) : o_(std::move(o)) {}
  void run(RunContext& ctx) override {
    RunRecord& r = ctx.record;
    r.samples.add_string_column("device");
    r.samples.add_string_column("kernel");
    r.samples.add_int_column("batch");
    r.samples.add_int_column("tokens");
    r.samples.add_int_column("bits");
    r.samples.add_float_column("time_us");
    r.samples.add_float_column("bytes");
    r.samples.add_float_column("gbps");
    bool cuda = false;
#ifdef WQ_HAVE_CUDA_KERNELS
    cuda = o_.device != "cpu" && gpu_present();
#endif
    if (o_.device == "cuda" && !cuda) throw std::runtime_error("kernel_perf: device cuda requested but no CUDA kernels/GPU");
    const bool cpu = o_.device != "cuda";
    const size_t per = o_.batch.size() * o_.tokens.size() * o_.bits.size();
    const size_t total = per * (cpu ? 1 : 0) + (cuda ? per : 0);
    size_t done = 0;
    if (cpu) run_cpu(o_, r, ctx.progress, done, total);
#ifdef WQ_HAVE_CUDA_KERNELS
    if (cuda) run_cuda(o_, r, ctx.progress, done, total);
#endif
    r.metric_notes["kernel_perf/devices"] = std::string(cpu ? "cpu" : "") + (cuda ? (cpu ? ",cuda" : "cuda") : "");
  }

 private:
  perf_options o_;
};

const Registration<Experiment> kernel_perf_registration{{
    "kernel_perf",
    "time attention and quantize+pack kernels at model shapes (bytes read, bandwidth)",
    {
        {"head_dim", ParamType::Int, "128", "head dimension (64 or 128)", 64, 128, {}, false},
        {"q_heads", ParamType::Int, "28", "query heads (Qwen2-7B: 28)", 1, 1024, {}, false},
        {"kv_heads", ParamType::Int, "4", "KV heads (Qwen2-7B: 4)", 1, 1024, {}, false},
        {"tokens", ParamType::IntList, "[4096]", "cached tokens per sequence", 1, 1 << 22, {}, false},
        {"batch", ParamType::IntList, "[1]", "sequences", 1, 1024, {}, false},
        {"bits", ParamType::IntList, "[2, 4]", "uniform widths to time (1, 2, 4, 8)", 1, 8, {}, false},
        {"repeats", ParamType::Int, "10", "timed repetitions (median reported)", 1, 10000, {}, false},
        {"device", ParamType::String, "auto", "auto: CPU, plus CUDA when available", std::nullopt, std::nullopt,
         {"auto", "cpu", "cuda"}, false},
    },
    [](const Params& p) -> std::unique_ptr<Experiment> {
      perf_options o;
      o.head_dim = static_cast<int>(p.get_int("head_dim"));
      o.q_heads = static_cast<int>(p.get_int("q_heads"));
      o.kv_heads = static_cast<int>(p.get_int("kv_heads"));
      o.repeats = static_cast<int>(p.get_int("repeats"));
      o.tokens = p.get_int_list("tokens");
      o.batch = p.get_int_list("batch");
      o.bits = p.get_int_list("bits");
      o.device = p.get_string("device");
      if (o.head_dim != 64 && o.head_dim != 128) p.fail("head_dim", "unsupported head_dim: " + std::to_string(o.head_dim));
      if (o.q_heads % o.kv_heads) p.fail("q_heads", "must be a multiple of kv_heads");
      for (long long b : o.bits)
        if (b != 1 && b != 2 && b != 4 && b != 8) p.fail("bits", "widths must be 1, 2, 4 or 8");
      return std::make_unique<KernelPerf>(std::move(o));
    },
}};

}  // namespace
}  // namespace wq
