// GPU benchmark at Qwen2-7B layer shapes (28 q heads, 4 KV heads, head dim 128): PyTorch SDPA
// fp16 (same process, LibTorch) against the compressed-cache kernels, with achieved bandwidth
// over the bytes each one must read. Before timing, every variant is checked against SDPA on
// the dequantized cache at the smallest size. Timing: CUDA events, L2 flushed before each run
// (a 2-bit cache of a short sequence fits in L2), median of many runs.
// Output: one table on stdout, bench_gpu.json and bench_gpu.csv under $OUT (or ./bench_out).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAStream.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/reference_attention.h"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_cache.cuh"
#include "kernels/cuda/event_timer.cuh"
#include "kernels/cuda/torch/torch_binding.h"

using namespace wq::kernels;

namespace {

constexpr int kQHeads = 28, kKvHeads = 4, kDim = 128, kTail = 128, kWindow = 256;

segment_spec packed(int tokens, int bits) {
  segment_spec s;
  s.tokens = tokens;
  s.key.storage = s.value.storage = tensor_spec::kind::packed;
  s.key.pack.bits = s.value.pack.bits = bits;
  s.key.pack.per_channel = true;
  s.key.pack.group_size = 128;  // KIVI's CLI default G
  s.value.pack.group_size = 128;
  return s;
}
segment_spec dense(int tokens) {
  segment_spec s;
  s.tokens = tokens;
  return s;
}

// Width of each window for a tier mix (fractions of windows at 4, 2, 1 bits), in a fixed
// pseudo-random order (what the similarity ranking would give).
std::vector<int> window_widths(int windows, double f4, double f2, std::mt19937& rng) {
  std::vector<int> w(windows, 1);
  const int n4 = static_cast<int>(f4 * windows + 0.5), n2 = static_cast<int>(f2 * windows + 0.5);
  for (int i = 0; i < n4; ++i) w[i] = 4;
  for (int i = n4; i < n4 + n2 && i < windows; ++i) w[i] = 2;
  std::shuffle(w.begin(), w.end(), rng);
  return w;
}

std::vector<segment_spec> windowquant(int context, double f4, double f2, bool reorder, std::mt19937& rng) {
  const int windows = (context + kWindow - 1) / kWindow;
  const auto widths = window_widths(windows, f4, f2, rng);
  std::vector<segment_spec> segs;
  if (reorder) {  // descending width, one uniform segment per tier
    for (int bits : {4, 2, 1}) {
      int tokens = 0;
      for (int i = 0; i < windows; ++i)
        if (widths[i] == bits) tokens += std::min(kWindow, context - i * kWindow);
      if (tokens) segs.push_back(packed(tokens, bits));
    }
  } else {
    for (int i = 0; i < windows; ++i) segs.push_back(packed(std::min(kWindow, context - i * kWindow), widths[i]));
  }
  segs.push_back(dense(kTail));
  return segs;
}

std::vector<segment_spec> token_mixed(int context, double f4, double f2, std::mt19937& rng) {
  segment_spec s;
  s.tokens = context;
  s.key.storage = s.value.storage = tensor_spec::kind::interleaved;
  s.key.group_size = s.value.group_size = 128;
  const auto w = window_widths(context, f4, f2, rng);  // per token, interleaved
  s.key.bits.assign(w.begin(), w.end());
  s.value.bits = s.key.bits;
  return {s, dense(kTail)};
}

// One attention launch over one cache (shape, workspace, NaN-poisoned output), for timing.
struct cache_launch {
  device_cache cache;
  attention_shape shape;
  device_buffer ws;
  at::Tensor out;
  cache_launch(const at::Tensor& k, const at::Tensor& v, const at::Tensor& q, int tokens,
               const std::vector<segment_spec>& segs, cudaStream_t stream)
      : cache(k.data_ptr(), v.data_ptr(), input_dtype::f16, static_cast<int>(k.size(0)), kKvHeads, tokens, kDim, segs, stream),
        out(at::full_like(q, NAN)) {
    shape.batch = static_cast<int>(k.size(0));
    shape.q_heads = kQHeads;
    shape.kv_heads = kKvHeads;
    shape.head_dim = kDim;
    shape.num_segments = cache.num_segments();
    shape.max_tiles = cache.max_tiles();
    shape.fast_formats = classify_table(cache.table().data(), static_cast<int64_t>(cache.table().size()));
    ws = device_buffer(attention_workspace_bytes(shape));
  }
  void operator()(const at::Tensor& q, cudaStream_t stream) {
    attention_over_segments(shape, q.data_ptr(), cache.device_table(), out.data_ptr(), nullptr, ws.get(), ws.bytes(),
                            stream);
  }
};

// WQ_BENCH_PROBE=1 (instead of the table): what the batch-1 decode time consists of when it
// hardly grows with the length. Uniform 2-bit, batch 1, with and without the 128-token fp16
// tail: "cold" = L2 flushed (as in the table); "code warm" = flushed, then one untimed launch
// over another small cache (same kernel and code path, other memory), so only instructions
// and launch path are warm; "all warm" = no flush.
void fixed_cost_probe(event_timer& tm, cudaStream_t stream) {
  const auto opts = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  const at::Tensor q = at::randn({1, 1, kQHeads, kDim}, opts);
  const at::Tensor wk = at::randn({1, kKvHeads, 1024, kDim}, opts), wv = at::randn_like(wk);
  cache_launch warmer(wk, wv, q, 1024, {packed(1024 - kTail, 2), dense(kTail)}, stream);
  std::printf("\nfixed-cost probe, uniform 2b, batch 1 (us)\n%7s %5s %8s %9s %8s\n", "tokens", "tail", "cold",
              "code_warm", "all_warm");
  for (int tokens : {1024, 4096, 16384, 131072}) {
    const at::Tensor k = at::randn({1, kKvHeads, tokens, kDim}, opts), v = at::randn_like(k);
    for (bool tail : {true, false}) {
      cache_launch target(k, v, q, tokens,
                          tail ? std::vector<segment_spec>{packed(tokens - kTail, 2), dense(kTail)}
                               : std::vector<segment_spec>{packed(tokens, 2)},
                          stream);
      auto run = [&] { target(q, stream); };
      const double cold = tm.median_us(run);
      const double code_warm = tm.median_us(run, 40, true, [&] { warmer(q, stream); });
      const double warm = tm.median_us(run, 40, false);
      std::printf("%7d %5d %8.1f %9.1f %8.1f\n", tokens, kTail * int(tail), cold, code_warm, warm);
    }
  }
}

struct row {
  std::string variant;
  int batch, tokens;
  double us, bytes, gbps, pct_copy, ratio_sdpa, rel_err;
  double floor_us = 0.0;  // read floor of the row's bytes (0: not a read-only kernel)
};

}  // namespace

int main() {
  const char* out_env = std::getenv("OUT");
  const std::string out_dir = out_env ? out_env : "bench_out";
  if (std::system(("mkdir -p " + out_dir).c_str()) != 0) std::printf("cannot create %s\n", out_dir.c_str());
  cudaDeviceProp prop{};
  WQ_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  cudaStream_t stream = at::cuda::getCurrentCUDAStream().stream();
  event_timer tm(stream);
  std::mt19937 rng(7);

  // Copy ceiling: device-to-device copy, bytes read + written.
  const size_t copy_bytes = size_t(1) << 30;
  device_buffer c0(copy_bytes), c1(copy_bytes);
  WQ_CUDA_CHECK(cudaMemsetAsync(c0.get(), 1, copy_bytes, stream));
  const double copy_us = tm.median_us([&] {
    WQ_CUDA_CHECK(cudaMemcpyAsync(c1.get(), c0.get(), copy_bytes, cudaMemcpyDeviceToDevice, stream));
  }, 20);
  const double copy_gbps = 2.0 * copy_bytes / copy_us / 1e3;
  std::printf("GPU: %s, %d SMs; copy bandwidth %.0f GB/s (read+write)\n", prop.name, prop.multiProcessorCount, copy_gbps);

  if (std::getenv("WQ_BENCH_PROBE")) {
    fixed_cost_probe(tm, stream);
    return 0;
  }
  // WQ_BENCH_QUICK=1: the two target shapes (batch 1 / 128k, batch 8 / 32k), uniform 2-bit,
  // reordered WindowQuant 2.0 and token-level mixed 2.0 only (tuning runs, profiling under ncu;
  // scripts/profile_decode_gpu.sh).
  const bool quick = std::getenv("WQ_BENCH_QUICK") != nullptr;
  const char* only = std::getenv("WQ_BENCH_ONLY");
  std::vector<row> rows;
  const auto opts = at::TensorOptions().dtype(at::kHalf).device(at::kCUDA);
  for (int batch : {1, 8}) {
    for (int tokens : {16384, 32768, 65536, 131072}) {
      if (quick && !((batch == 1 && tokens == 131072) || (batch == 8 && tokens == 32768))) continue;
      at::Tensor k = at::randn({batch, kKvHeads, tokens, kDim}, opts);
      at::Tensor v = at::randn({batch, kKvHeads, tokens, kDim}, opts);
      k.index({at::indexing::Slice(), at::indexing::Slice(), at::indexing::Slice(), at::indexing::Slice(3, 4)})
          .mul_(8).add_(2);  // an outlier channel, as keys have
      at::Tensor q = at::randn({batch, 1, kQHeads, kDim}, opts);
      // SDPA: GQA decode as 4 heads x 7 query rows (same math, flash backend), and enable_gqa.
      at::Tensor q4 = q.view({batch, kKvHeads, kQHeads / kKvHeads, kDim});
      at::Tensor q28 = q.view({batch, kQHeads, 1, kDim});
      at::Tensor sdpa_out;
      const double t_sdpa_mha = tm.median_us([&] { sdpa_out = at::scaled_dot_product_attention(q4, k, v); });
      double t_sdpa_gqa = 1e30;
      try {
        t_sdpa_gqa = tm.median_us([&] {
          at::scaled_dot_product_attention(q28, k, v, {}, 0.0, false, std::nullopt, true);
        });
      } catch (const std::exception&) {
      }
      const double t_sdpa = std::min(t_sdpa_mha, t_sdpa_gqa);
      const double sdpa_bytes = 2.0 * k.numel() * 2 + 2.0 * q.numel() * 2;
      rows.push_back({"sdpa_fp16", batch, tokens, t_sdpa, sdpa_bytes, sdpa_bytes / t_sdpa / 1e3,
                      100.0 * sdpa_bytes / t_sdpa / 1e3 / copy_gbps, 1.0, 0.0});

      const int context = tokens - kTail;
      struct variant { std::string name; std::vector<segment_spec> segs; };
      std::vector<variant> vars = {
          {"uniform_2b", {packed(context, 2), dense(kTail)}},
          {"uniform_4b", {packed(context, 4), dense(kTail)}},
          {"wq_2.0_reordered", windowquant(context, 0.25, 0.25, true, rng)},
          {"wq_2.0_interleaved_windows", windowquant(context, 0.25, 0.25, false, rng)},
          {"wq_1.5_reordered", windowquant(context, 0.125, 0.125, true, rng)},
          {"wq_1.5_interleaved_windows", windowquant(context, 0.125, 0.125, false, rng)},
          {"token_mixed_2.0", token_mixed(context, 0.25, 0.25, rng)},
          {"token_mixed_1.5", token_mixed(context, 0.125, 0.125, rng)},
      };
      if (only) {  // WQ_BENCH_ONLY=name[,name...]: these variants only (profiling one kernel launch)
        std::vector<variant> kept;
        std::stringstream names(only);
        for (std::string name; std::getline(names, name, ',');) {
          const auto it = std::find_if(vars.begin(), vars.end(), [&](const variant& v) { return v.name == name; });
          if (it == vars.end()) {
            std::string known;
            for (const variant& v : vars) known += (known.empty() ? "" : ", ") + v.name;
            std::fprintf(stderr, "WQ_BENCH_ONLY: unknown variant '%s' (expected names from: %s)\n", name.c_str(),
                         known.c_str());
            return 2;
          }
          kept.push_back(*it);
        }
        vars = kept;
      } else if (quick) {
        vars = {vars[0], vars[2], vars[6]};
      }
      for (const variant& var : vars) {
        cache_launch launch(k, v, q, tokens, var.segs, stream);
        device_cache& cache = launch.cache;
        const at::Tensor& out = launch.out;
        const double t = tm.median_us([&] { launch(q, stream); });
        // Check against SDPA on the dequantized cache at the smallest size of each batch.
        double err = -1.0;
        if (tokens == 16384) {
          launch(q, stream);
          std::vector<std::vector<uint8_t>> storage;
          const auto host = cache.host_table(storage);
          at::Tensor kd = at::empty({batch, kKvHeads, tokens, kDim}, at::kFloat);
          at::Tensor vd = at::empty_like(kd);
          std::vector<float> kh, vh;
          for (int b = 0; b < batch; ++b)
            for (int h = 0; h < kKvHeads; ++h) {
              cpu::dequantize_sequence(host.data() + b * cache.num_segments(), cache.num_segments(), kDim, h, kh, vh);
              std::copy(kh.begin(), kh.end(), kd[b][h].data_ptr<float>());
              std::copy(vh.begin(), vh.end(), vd[b][h].data_ptr<float>());
            }
          at::Tensor ref = at::scaled_dot_product_attention(q4.to(at::kFloat), kd.to(at::kCUDA), vd.to(at::kCUDA));
          at::Tensor got = out.to(at::kFloat).view_as(ref);
          err = ((got - ref).norm() / ref.norm()).item<double>();
          if (!std::isfinite(err)) err = 1e9;
          // The LibTorch binding launches the same kernel: its output must match bit for bit,
          // and it must refuse a CPU tensor with a clear message.
          auto bound = torch_api::attention(q, cache.table(), kKvHeads, cache.num_segments());
          if (!at::equal(std::get<0>(bound), out)) std::printf("BINDING MISMATCH in %s\n", var.name.c_str());
          try {
            torch_api::attention(q.cpu(), cache.table(), kKvHeads, cache.num_segments());
            std::printf("BINDING accepted a CPU tensor\n");
          } catch (const std::invalid_argument& e) {
            if (var.name == "uniform_2b" && batch == 1) std::printf("binding check: %s\n", e.what());
          }
        }
        const double bytes = static_cast<double>(cache.attention_bytes()) + 2.0 * q.numel() * 2;
        rows.push_back({var.name, batch, tokens, t, bytes, bytes / t / 1e3, 100.0 * bytes / t / 1e3 / copy_gbps,
                        t_sdpa / t, err});
        if (var.name == "uniform_2b" || var.name == "wq_2.0_reordered" || var.name == "token_mixed_2.0") {
          const double tq = tm.median_us([&] { cache.requantize(stream); }, 20);
          const double qb = static_cast<double>(cache.pack_read_bytes() + cache.pack_write_bytes());
          rows.push_back({"quantize_pack_" + var.name, batch, tokens, tq, qb, qb / tq / 1e3,
                          100.0 * qb / tq / 1e3 / copy_gbps, t_sdpa / tq, 0.0});
        }
      }
      // Read floors of this shape's rows (SDPA's fp16 bytes are the largest).
      const device_buffer floor_buf(static_cast<size_t>(sdpa_bytes) / 16 * 16 + 16);
      for (row& r : rows)
        if (r.batch == batch && r.tokens == tokens && r.variant.rfind("quantize", 0) != 0)
          r.floor_us = tm.read_floor_us(floor_buf.get(), static_cast<size_t>(r.bytes));
    }
  }

  std::printf("\n%-38s %5s %7s %10s %10s %9s %7s %8s %9s %9s %7s\n", "variant", "batch", "tokens", "time_us",
              "MB_read", "GB/s", "%copy", "xSDPA", "rel_err", "floor_us", "%floor");
  std::ofstream csv(out_dir + "/bench_gpu.csv"), json(out_dir + "/bench_gpu.json");
  csv << "variant,batch,tokens,time_us,bytes,gbps,pct_copy,speedup_vs_sdpa,rel_err_vs_sdpa_dequant,read_floor_us\n";
  json << "{\"gpu\":\"" << prop.name << "\",\"copy_gbps\":" << copy_gbps << ",\"rows\":[\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const row& r = rows[i];
    char err[32];
    if (r.rel_err >= 0 && r.variant.rfind("sdpa", 0) != 0 && r.variant.rfind("quantize", 0) != 0)
      std::snprintf(err, sizeof err, "%.1e", r.rel_err);
    else std::snprintf(err, sizeof err, "-");
    char floor_us[16] = "-", floor_pct[16] = "-";
    if (r.floor_us > 0) {
      std::snprintf(floor_us, sizeof floor_us, "%.1f", r.floor_us);
      std::snprintf(floor_pct, sizeof floor_pct, "%.1f", 100.0 * r.floor_us / r.us);
    }
    std::printf("%-38s %5d %7d %10.1f %10.2f %9.0f %7.1f %8.2f %9s %9s %7s\n", r.variant.c_str(), r.batch, r.tokens,
                r.us, r.bytes / 1e6, r.gbps, r.pct_copy, r.ratio_sdpa, err, floor_us, floor_pct);
    csv << r.variant << ',' << r.batch << ',' << r.tokens << ',' << r.us << ',' << r.bytes << ',' << r.gbps << ','
        << r.pct_copy << ',' << r.ratio_sdpa << ',' << r.rel_err << ',' << r.floor_us << '\n';
    json << "{\"variant\":\"" << r.variant << "\",\"batch\":" << r.batch << ",\"tokens\":" << r.tokens
         << ",\"time_us\":" << r.us << ",\"bytes\":" << r.bytes << ",\"gbps\":" << r.gbps
         << ",\"pct_copy\":" << r.pct_copy << ",\"speedup_vs_sdpa\":" << r.ratio_sdpa
         << ",\"rel_err_vs_sdpa_dequant\":" << r.rel_err << ",\"read_floor_us\":" << r.floor_us << "}" << (i + 1 < rows.size() ? ",\n" : "\n");
  }
  json << "]}\n";
  std::printf("(xSDPA = SDPA fp16 time / this time; rel_err = vs SDPA on the dequantized cache at 16k; quantize_pack "
              "bytes = fp16 read + packed written;\n floor_us = a kernel that only reads the row's bytes (stream_read, "
              "the best of four grids); %%floor = floor_us / time_us)\n");
  return 0;
}
