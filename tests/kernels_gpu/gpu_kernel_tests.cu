// GPU kernel suite (runs on the GPU machine, no GoogleTest there): quantize+pack bit-identical
// to core/quant, and attention over compressed caches against the CPU reference on the
// dequantized cache, over a declarative list of cases (odd lengths, one-token and empty
// segments, long caches, GQA, head dims 64/128, fp16/bf16, decode and query prefill).
// Outputs are poisoned with NaN before every launch; inputs are fresh random draws per check.
#include <algorithm>
#include <cstring>
#include <functional>
#include <stdexcept>

#include "core/cache/interleaved.h"
#include "core/cache/reference_attention.h"
#include "core/quant/quantize.h"
#include "kernels/cpu/reference_attention.h"
#include "kernels/cuda/attention.cuh"
#include "kernels/cuda/read_floor.cuh"
#include "tests/kernels_gpu/gpu_test_util.h"

using namespace wq::kernels;
using namespace wq::kernels::gpu_test;
namespace q = wq::quant;

namespace {

std::mt19937 rng(20261122);

q::QuantSpec to_core_spec(const pack_spec& p) {
  q::QuantSpec s;
  s.bits = p.ternary ? q::QuantBits::b1_58 : q::quant_bits_from_int(p.bits);
  s.group_size = p.group_size;
  s.axis = p.per_channel ? q::GroupAxis::tokens : q::GroupAxis::channels;
  s.symmetric = p.symmetric;
  s.ternary_storage = p.base3 ? q::TernaryStorage::base3 : q::TernaryStorage::slots2;
  s.one_bit_rule = p.sign_meanabs ? q::OneBitRule::sign_meanabs : q::OneBitRule::minmax;
  s.ternary.gamma = p.ternary_gamma;
  s.ternary.scale_rule = static_cast<q::TernaryScaleRule>(p.ternary_scale_rule);
  s.compute = p.kivi_fp16 ? q::ComputeMode::fp16 : q::ComputeMode::fp32;
  return s;
}

std::string describe(const pack_spec& p) {
  std::string s = p.ternary ? (p.base3 ? "ternary-base3" : "ternary") : std::to_string(p.bits) + "b";
  s += p.per_channel ? " per-channel" : " per-token";
  s += " g" + std::to_string(p.group_size);
  if (p.symmetric) s += " sym";
  if (p.sign_meanabs) s += " sign";
  if (p.kivi_fp16) s += " kivi-fp16";
  if (p.ternary) s += " rule" + std::to_string(p.ternary_scale_rule);
  return s;
}

// Downloads one packed tensor (`heads` heads, dense per-head strides) and compares every head
// with core/quant on the same input (x_head: host floats of head 0, head_stride apart); returns
// the mismatching heads as text ("" when all match).
std::string compare_with_core(const pack_spec& p, const float* x_head, int64_t head_stride, int H, int T, int D,
                              const device_buffer& dw, const device_buffer& ds, const device_buffer& dm) {
  const int64_t rows = p.per_channel ? D : T;
  const int64_t rw = packed_row_words(p, T, D), rg = packed_row_groups(p, T, D);
  const auto w = download<uint32_t>(dw, H * rows * rw);
  const auto s = download<uint16_t>(ds, H * rows * rg);
  const auto m = download<uint16_t>(dm, H * rows * rg);
  std::string where;
  for (int h = 0; h < H; ++h) {
    q::QuantizeOptions opt;
    opt.allow_partial_token_group = true;
    const q::QTensor ref = q::quantize(x_head + h * head_stride, T, D, to_core_spec(p), opt);
    const auto slice = [h](const auto& v, int64_t n) {
      return std::decay_t<decltype(v)>(v.begin() + h * n, v.begin() + (h + 1) * n);
    };
    if (slice(w, rows * rw) != ref.words || slice(s, rows * rg) != ref.scales ||
        (!ref.mins.empty() && slice(m, rows * rg) != ref.mins))
      where += " T=" + std::to_string(T) + ",D=" + std::to_string(D) + ",head " + std::to_string(h);
  }
  return where;
}

void test_pack_identity(ledger& lg) {
  std::vector<pack_spec> specs;
  for (int bits : {1, 2, 3, 4, 8})
    for (bool pc : {true, false})
      for (int g : {128, 32, 16}) {
        pack_spec p;
        p.bits = bits;
        p.per_channel = pc;
        p.group_size = pc && g == 16 ? 19 : g;  // odd per-channel groups: partial words
        specs.push_back(p);
        if (bits >= 2) { p.symmetric = true; specs.push_back(p); p.symmetric = false; }
        if (bits == 2 || bits == 4) { p.kivi_fp16 = true; specs.push_back(p); }
      }
  for (int rule = 0; rule < 4; ++rule)
    for (bool b3 : {false, true}) {
      pack_spec p;
      p.ternary = true;
      p.bits = 2;
      p.base3 = b3;
      p.per_channel = true;
      p.group_size = 32;
      p.ternary_gamma = rule == 3 ? 0.5f : 0.7f;
      p.ternary_scale_rule = rule;
      specs.push_back(p);
      p.per_channel = false;
      specs.push_back(p);
    }
  {
    pack_spec p;
    p.bits = 1;
    p.sign_meanabs = true;
    p.per_channel = true;
    specs.push_back(p);
  }
  // Heads with a gap between them, bf16 input and a 4-byte (not 16-byte) aligned start take
  // the fast kernels' other load widths and index paths.
  struct shape {
    int T, D, H;
    bool bf16;
    int offset, gap;  // elements before head 0, and between heads
  };
  const shape shapes[] = {{1, 64, 1, false, 0, 0},   {19, 128, 1, false, 0, 0}, {989, 128, 1, false, 0, 0},
                          {64, 64, 1, false, 0, 0},  {300, 128, 3, true, 0, 1024}, {77, 128, 2, false, 2, 2}};
  for (const pack_spec& p : specs) {
    int mismatches = 0, checked = 0;
    std::string where;
    for (const shape& sh : shapes) {
      const int T = sh.T, D = sh.D, H = sh.H;
      if (!p.per_channel && D % p.group_size) continue;
      const int64_t head_stride = static_cast<int64_t>(T) * D + sh.gap;
      const auto bits = random_bits(rng, sh.offset + H * head_stride, D, 0.7f, sh.bf16, true);
      const auto x = to_float(bits, sh.bf16);
      device_buffer dx = upload(bits.data(), bits.size() * 2);
      const int64_t rows = p.per_channel ? D : T;
      const int64_t rw = packed_row_words(p, T, D), rg = packed_row_groups(p, T, D);
      device_buffer dw(H * rows * rw * 4), ds(H * rows * rg * 2), dm(H * rows * rg * 2);
      WQ_CUDA_CHECK(cudaMemset(dw.get(), 0xAB, dw.bytes()));  // poison: every word must be written
      quantize_pack(p, dx.as<uint16_t>() + sh.offset, sh.bf16 ? input_dtype::bf16 : input_dtype::f16, H, T, D,
                    head_stride, dw.as<uint32_t>(), ds.as<uint16_t>(), dm.as<uint16_t>(), nullptr);
      WQ_CUDA_CHECK(cudaDeviceSynchronize());
      const std::string bad = compare_with_core(p, x.data() + sh.offset, head_stride, H, T, D, dw, ds, dm);
      checked += H;
      if (!bad.empty()) {
        ++mismatches;
        where += bad + (sh.bf16 ? ",bf16" : "") + (sh.offset ? ",offset" : "");
      }
    }
    const std::string name = "pack identity " + describe(p);
    if (mismatches) lg.fail(name, "mismatch at" + where);
    else lg.pass(name, std::to_string(checked) + " heads bit-identical to core/quant");
  }
}

// quantize_pack_many: the tensors of a WindowQuant layer (segments of different widths over
// slices of one [heads][tokens][D] input, keys per channel, values per token) share launches;
// a second per-channel group size and a symmetric tensor take other launches. Each tensor is
// compared with core/quant on its own slice.
void test_pack_many(ledger& lg) {
  const int H = 3, D = 128;
  const std::vector<std::pair<int, int>> segments = {{300, 4}, {1, 2}, {499, 1}, {257, 8}, {128, 2}};
  int T = 0;
  for (const auto& sg : segments) T += sg.first;
  for (bool bf16 : {false, true}) {
    auto bits = random_bits(rng, static_cast<size_t>(H) * T * D, D, 0.7f, bf16, true);
    // Groups off the plain path (group_scale::plain): channel 5 constant (s = 0), channel 6 a
    // range of 2^-12 (s subnormal at 2 and more bits); channel 7 ±20000 (large differences on
    // the plain path); per-token groups see all three.
    std::bernoulli_distribution coin(0.5);
    for (size_t row = 0; row < bits.size() / D; ++row) {
      const float special[3] = {0.5f, coin(rng) ? 0.25f : 0.25f + 1.0f / 4096, coin(rng) ? -20000.f : 20000.f};
      for (int k = 0; k < 3; ++k) bits[row * D + 5 + k] = bf16 ? bf16_bits(special[k]) : wq::quant::float_to_half(special[k]);
    }
    const auto x = to_float(bits, bf16);
    device_buffer dx = upload(bits.data(), bits.size() * 2);
    struct output { pack_spec spec; int at, tokens; device_buffer w, s, m; };
    std::vector<output> outs;
    auto add = [&](pack_spec p, int at, int tokens) {
      const int64_t rows = p.per_channel ? D : tokens;
      const int64_t rw = packed_row_words(p, tokens, D), rg = packed_row_groups(p, tokens, D);
      outs.push_back({p, at, tokens, device_buffer(H * rows * rw * 4), device_buffer(H * rows * rg * 2),
                      device_buffer(H * rows * rg * 2)});
      WQ_CUDA_CHECK(cudaMemset(outs.back().w.get(), 0xAB, outs.back().w.bytes()));
    };
    int at = 0;
    for (const auto& [tokens, width] : segments) {
      for (bool pc : {true, false}) {
        pack_spec p;
        p.bits = width;
        p.per_channel = pc;
        p.group_size = 128;
        add(p, at, tokens);
      }
      at += tokens;
    }
    pack_spec g32;
    g32.bits = 2, g32.per_channel = true, g32.group_size = 32;
    add(g32, 300, 700);
    pack_spec sym;
    sym.bits = 4, sym.symmetric = true, sym.group_size = 32;
    add(sym, 0, T);
    std::vector<pack_task> tasks;
    for (output& o : outs)
      tasks.push_back({o.spec, dx.as<uint16_t>() + static_cast<int64_t>(o.at) * D, H, o.tokens, D,
                       static_cast<int64_t>(T) * D, o.w.as<uint32_t>(), o.s.as<uint16_t>(), o.m.as<uint16_t>()});
    quantize_pack_many(tasks.data(), static_cast<int>(tasks.size()), bf16 ? input_dtype::bf16 : input_dtype::f16,
                       nullptr);
    WQ_CUDA_CHECK(cudaDeviceSynchronize());
    std::string where;
    for (const output& o : outs) {
      const std::string bad = compare_with_core(o.spec, x.data() + static_cast<int64_t>(o.at) * D,
                                                static_cast<int64_t>(T) * D, H, o.tokens, D, o.w, o.s, o.m);
      if (!bad.empty()) where += " [" + describe(o.spec) + "]" + bad;
    }
    const std::string name = std::string("pack many (shared launches) ") + (bf16 ? "bf16" : "fp16");
    if (!where.empty()) lg.fail(name, "mismatch at" + where);
    else lg.pass(name, std::to_string(outs.size()) + " tensors of " + std::to_string(H) + " heads bit-identical to core/quant");
  }
}

void test_interleaved_identity(ledger& lg) {
  for (int D : {64, 128})
    for (int g : {8, 16, 32, 128})
      for (int T : {1, 37, 500}) {
        if (D % g) continue;
        const int H = 2;
        const bool bf16 = T == 500;  // bf16 input through the same kernels
        std::uniform_int_distribution<int> pick(0, 5);
        const int widths[] = {1, 2, 3, 4, 8, 16};
        std::vector<q::QuantBits> qb(T);
        std::vector<uint8_t> bits(T);
        std::vector<uint32_t> offs(T);
        uint32_t total = 0;
        for (int t = 0; t < T; ++t) {
          bits[t] = static_cast<uint8_t>(widths[pick(rng)]);
          qb[t] = q::quant_bits_from_int(bits[t]);
          offs[t] = total;
          total += (D + 32 / bits[t] - 1) / (32 / bits[t]);
        }
        const auto xb = random_bits(rng, static_cast<size_t>(H) * T * D, D, 0.5f, bf16, true);
        const auto x = to_float(xb, bf16);
        device_buffer dx = upload(xb.data(), xb.size() * 2), dbits = upload(bits.data(), T),
                      doffs = upload(offs.data(), T * 4);
        device_buffer dw(static_cast<size_t>(H) * total * 4), ds(static_cast<size_t>(H) * T * (D / g) * 2),
            dm(ds.bytes());
        WQ_CUDA_CHECK(cudaMemset(dw.get(), 0xA5, dw.bytes()));  // the kernels must write every bit of the words
        quantize_pack_interleaved(dx.get(), bf16 ? input_dtype::bf16 : input_dtype::f16, H, T, D, static_cast<int64_t>(T) * D, dbits.as<uint8_t>(),
                                  doffs.as<uint32_t>(), total, g, dw.as<uint32_t>(), ds.as<uint16_t>(),
                                  dm.as<uint16_t>(), nullptr);
        WQ_CUDA_CHECK(cudaDeviceSynchronize());
        const auto w = download<uint32_t>(dw, static_cast<size_t>(H) * total);
        const auto sc = download<uint16_t>(ds, static_cast<size_t>(H) * T * (D / g));
        const auto mn = download<uint16_t>(dm, sc.size());
        bool same = true;
        for (int h = 0; h < H; ++h) {
          const auto ref = wq::cache::quantize_interleaved(x.data() + static_cast<size_t>(h) * T * D, T, D, qb, g);
          same = same && std::equal(ref.words.begin(), ref.words.end(), w.begin() + static_cast<size_t>(h) * total) &&
                 std::equal(ref.scales.begin(), ref.scales.end(), sc.begin() + static_cast<size_t>(h) * T * (D / g)) &&
                 std::equal(ref.mins.begin(), ref.mins.end(), mn.begin() + static_cast<size_t>(h) * T * (D / g));
        }
        const std::string name = "pack identity interleaved D" + std::to_string(D) + " g" + std::to_string(g) +
                                 " T" + std::to_string(T) + (bf16 ? " bf16" : "");
        if (same) lg.pass(name, "bit-identical to core/cache quantize_interleaved (2 heads, widths 1-16)");
        else lg.fail(name, "mismatch");
      }
}

// Sequence 0 against core/cache's dense_attention (its own dequantize-then-attend reference).
double error_vs_core(const attention_shape& shape, const std::vector<float>& qf, const segment_view* host,
                     const std::vector<float>& out) {
  const int D = shape.head_dim, T_q = shape.q_tokens, H = shape.q_heads;
  std::vector<float> k_all, v_all, kh, vh;
  int keys = 0;
  for (int h = 0; h < shape.kv_heads; ++h) {
    cpu::dequantize_sequence(host, shape.num_segments, D, h, kh, vh);
    keys = static_cast<int>(kh.size() / D);
    k_all.insert(k_all.end(), kh.begin(), kh.end());
    v_all.insert(v_all.end(), vh.begin(), vh.end());
  }
  std::vector<float> q_core(static_cast<size_t>(H) * T_q * D);
  for (int t = 0; t < T_q; ++t)
    for (int h = 0; h < H; ++h)
      for (int d = 0; d < D; ++d) q_core[(static_cast<size_t>(h) * T_q + t) * D + d] = qf[(static_cast<size_t>(t) * H + h) * D + d];
  wq::cache::AttentionOptions opt;
  opt.causal_tail = false;
  const auto ref = wq::cache::dense_attention(q_core.data(), H, T_q, k_all.data(), v_all.data(), shape.kv_heads, keys,
                                              0, D, opt);
  std::vector<float> mine(ref.out.size());
  for (int t = 0; t < T_q; ++t)
    for (int h = 0; h < H; ++h)
      for (int d = 0; d < D; ++d) mine[(static_cast<size_t>(h) * T_q + t) * D + d] = out[(static_cast<size_t>(t) * H + h) * D + d];
  return relative_error(mine, ref.out);
}

// The cache packs a batch in one launch per segment tensor: every sequence's dequantized keys
// and values must be closer to its own input than to the next sequence's (a slice taken from
// the wrong sequence would pass the checks above, which compare against the same mirror).
bool sequences_match_inputs(const segment_view* host, int num_segments, int batch, int kv_heads, int tokens, int D,
                            const std::vector<float>& k, const std::vector<float>& v) {
  const size_t head = static_cast<size_t>(tokens) * D, seq = head * kv_heads;
  std::vector<float> kh, vh;
  for (int b = 0; b < batch; ++b) {
    const int other = (b + 1) % batch;
    for (int h = 0; h < kv_heads; ++h) {
      cpu::dequantize_sequence(host + static_cast<size_t>(b) * num_segments, num_segments, D, h, kh, vh);
      for (int which = 0; which < 2; ++which) {
        const std::vector<float>& got = which ? vh : kh;
        const std::vector<float>& in = which ? v : k;
        const auto part = [&](int s) {
          return std::vector<float>(in.begin() + s * seq + h * head, in.begin() + s * seq + (h + 1) * head);
        };
        if (relative_error(got, part(b)) >= 0.75 * relative_error(got, part(other))) return false;
      }
    }
  }
  return true;
}

// ---- attention cases -----------------------------------------------------------------
segment_spec kivi(int tokens, int bits, int gk = 32, int gv = 32, bool sym = false) {
  segment_spec s;
  s.tokens = tokens;
  s.key.storage = s.value.storage = tensor_spec::kind::packed;
  s.key.pack.bits = s.value.pack.bits = bits;
  s.key.pack.per_channel = true;
  s.key.pack.group_size = gk;
  s.value.pack.group_size = gv;
  s.key.pack.symmetric = s.value.pack.symmetric = sym;
  return s;
}
segment_spec dense(int tokens) {
  segment_spec s;
  s.tokens = tokens;
  return s;
}
segment_spec ternary(int tokens, bool base3) {
  segment_spec s = kivi(tokens, 2);
  s.key.pack.ternary = s.value.pack.ternary = true;
  s.key.pack.base3 = s.value.pack.base3 = base3;
  return s;
}
segment_spec per_token_keys(int tokens, int bits, int g) {
  segment_spec s = kivi(tokens, bits, g, g);
  s.key.pack.per_channel = false;
  return s;
}
segment_spec interleaved(int tokens, const std::vector<int>& widths, int g = 32) {
  segment_spec s;
  s.tokens = tokens;
  s.key.storage = s.value.storage = tensor_spec::kind::interleaved;
  std::uniform_int_distribution<int> pick(0, static_cast<int>(widths.size()) - 1);
  for (int t = 0; t < tokens; ++t) s.key.bits.push_back(static_cast<uint8_t>(widths[pick(rng)]));
  s.value.bits = s.key.bits;
  s.key.group_size = s.value.group_size = g;
  return s;
}

struct attn_case {
  std::string name;
  int head_dim, batch, q_heads, kv_heads, q_tokens;
  bool bf16;
  std::function<std::vector<segment_spec>()> segments;
};

void run_attention_case(ledger& lg, const attn_case& c) {
  const auto segs = c.segments();
  int tokens = 0;
  for (const auto& s : segs) tokens += s.tokens;
  const int D = c.head_dim;
  const size_t kv_elems = static_cast<size_t>(c.batch) * c.kv_heads * tokens * D;
  const auto kb = random_bits(rng, kv_elems, D, 1.0f, c.bf16, true);
  const auto vb = random_bits(rng, kv_elems, D, 1.0f, c.bf16, false);
  const size_t q_elems = static_cast<size_t>(c.batch) * c.q_tokens * c.q_heads * D;
  const auto qb = random_bits(rng, q_elems, D, 1.0f, c.bf16, false);
  device_buffer dk = upload(kb.data(), kv_elems * 2), dv = upload(vb.data(), kv_elems * 2);
  device_buffer dq = upload(qb.data(), q_elems * 2);
  device_cache cache(dk.get(), dv.get(), c.bf16 ? input_dtype::bf16 : input_dtype::f16, c.batch, c.kv_heads, tokens, D, segs, nullptr);
  attention_shape shape;
  shape.batch = c.batch;
  shape.q_heads = c.q_heads;
  shape.kv_heads = c.kv_heads;
  shape.head_dim = D;
  shape.q_tokens = c.q_tokens;
  shape.num_segments = cache.num_segments();
  shape.max_tiles = cache.max_tiles();
  shape.bf16 = c.bf16;
  shape.fast_formats = classify_table(cache.table().data(), static_cast<int64_t>(cache.table().size()));
  device_buffer ws(attention_workspace_bytes(shape));
  device_buffer dout(q_elems * 2), dlse(q_elems / D * 4);
  WQ_CUDA_CHECK(cudaMemset(dout.get(), 0xFF, dout.bytes()));  // NaN in fp16 and bf16
  WQ_CUDA_CHECK(cudaMemset(dlse.get(), 0xFF, dlse.bytes()));
  attention_over_segments(shape, dq.get(), cache.device_table(), dout.get(), dlse.as<float>(), ws.get(), ws.bytes(),
                          nullptr);
  WQ_CUDA_CHECK(cudaDeviceSynchronize());
  const auto out = to_float(download<uint16_t>(dout, q_elems), c.bf16);
  const auto lse = download<float>(dlse, q_elems / D);
  std::vector<std::vector<uint8_t>> storage;
  const auto host = cache.host_table(storage);
  std::vector<float> ref(q_elems), ref_lse(q_elems / D);
  cpu::reference_attention(shape, to_float(qb, c.bf16).data(), host.data(), ref.data(), ref_lse.data());
  const auto qf = to_float(qb, c.bf16);
  const double err = relative_error(out, ref);
  const double lse_err = relative_error(lse, ref_lse);
  // core/cache's reference on sequence 0 (skipped for the longest cache: it is O(T·H·D) in double)
  const double core_err = tokens <= 20000 ? error_vs_core(shape, qf, host.data(), out) : 0.0;
  const double tol = c.bf16 ? 1e-2 : 4e-3;
  char detail[256];
  std::snprintf(detail, sizeof detail, "rel err %.2e (lse %.2e, core %.2e), tol %.0e, %d tokens, %d segs", err,
                lse_err, core_err, tol, tokens, cache.num_segments());
  const bool own_inputs = c.batch == 1 || sequences_match_inputs(host.data(), cache.num_segments(), c.batch, c.kv_heads,
                                                                tokens, D, to_float(kb, c.bf16), to_float(vb, c.bf16));
  if (!own_inputs) std::strncat(detail, "; a sequence's cache is not its own input", sizeof detail - std::strlen(detail) - 1);
  if (own_inputs && std::isfinite(err) && err < tol && std::isfinite(lse_err) && lse_err < tol && std::isfinite(core_err) &&
      core_err < tol)
    lg.pass(c.name, detail);
  else lg.fail(c.name, detail);
}

std::vector<attn_case> attention_cases() {
  std::vector<attn_case> cs;
  auto add = [&](std::string n, int D, int B, int qh, int kvh, int qt, bool bf, std::function<std::vector<segment_spec>()> f) {
    cs.push_back({std::move(n), D, B, qh, kvh, qt, bf, std::move(f)});
  };
  for (int D : {64, 128}) {
    const std::string d = " D" + std::to_string(D);
    for (int bits : {1, 2, 3, 4, 8})
      add("uniform " + std::to_string(bits) + "b + tail" + d, D, 1, 28, 4, 1, false,
          [=] { return std::vector<segment_spec>{kivi(989, bits), dense(17)}; });
    add("uniform 2b g128 long cache 100k" + d, D, 1, 28, 4, 1, false,
        [] { return std::vector<segment_spec>{kivi(100003, 2, 128, 64), dense(5)}; });
    add("sym 4b" + d, D, 2, 8, 8, 1, false, [] { return std::vector<segment_spec>{kivi(300, 4, 32, 32, true), dense(3)}; });
    add("ternary slots" + d, D, 1, 16, 4, 1, false, [] { return std::vector<segment_spec>{ternary(515, false), dense(9)}; });
    add("ternary base3" + d, D, 1, 16, 4, 1, false, [] { return std::vector<segment_spec>{ternary(515, true), dense(9)}; });
    add("per-token keys 4b" + d, D, 1, 28, 4, 1, false, [] { return std::vector<segment_spec>{per_token_keys(333, 4, 32), dense(2)}; });
    add("windowquant 4/2/1 odd + empty + 1-token segs" + d, D, 3, 28, 4, 1, false, [] {
      return std::vector<segment_spec>{kivi(1, 8), kivi(250, 4), segment_spec{}, kivi(1, 2), kivi(777, 2),
                                       kivi(1023, 1, 48, 32), dense(1)};
    });
    add("windowquant not reordered (many windows)" + d, D, 2, 28, 4, 1, false, [] {
      std::vector<segment_spec> v;
      const int widths[] = {4, 2, 1, 2, 1, 1};
      for (int w = 0; w < 24; ++w) v.push_back(kivi(196, widths[w % 6]));
      v.push_back(dense(11));
      return v;
    });
    add("token-level mixed 4/2/1" + d, D, 2, 28, 4, 1, false,
        [] { return std::vector<segment_spec>{interleaved(1500, {4, 2, 1}), dense(7)}; });
    add("token-level mixed 8/3/2/1 g16" + d, D, 1, 8, 2, 1, false,
        [] { return std::vector<segment_spec>{interleaved(611, {8, 3, 2, 1}, 16), dense(1)}; });
    // The decode kernel's interleaved path: width classes of (key, value) pairs (here up to 25
    // per tile), 3-bit tokens on its per-element path, interleaved segments beside packed ones;
    // query prefill keeps the general kernel.
    add("token-level mixed 8/4/3/2/1 g64, value widths shuffled, bf16" + d, D, 2, 28, 4, 1, true, [] {
      segment_spec s = interleaved(1333, {8, 4, 3, 2, 1}, 64);
      std::shuffle(s.value.bits.begin(), s.value.bits.end(), rng);
      return std::vector<segment_spec>{s, dense(5)};
    });
    add("token-level mixed beside windows, GQA 32/8, 2 query tokens" + d, D, 2, 32, 8, 2, false, [=] {
      return std::vector<segment_spec>{kivi(257, 2), interleaved(700, {4, 2, 1}), kivi(300, 4, 128, D),
                                       interleaved(3, {2}), segment_spec{}, dense(9)};
    });
    add("token-level mixed 4/2/1 g=D long cache 30k" + d, D, 1, 28, 4, 1, false,
        [=] { return std::vector<segment_spec>{interleaved(30001, {4, 2, 1}, D), dense(128)}; });
    add("prefill 40 queries token-level mixed" + d, D, 1, 28, 4, 40, false,
        [] { return std::vector<segment_spec>{interleaved(800, {4, 2, 1}), dense(40)}; });
    add("dense only" + d, D, 1, 4, 4, 1, false, [] { return std::vector<segment_spec>{dense(130)}; });
    // Decode kernel with folded scales (key groups a multiple of 64 tokens, value group = D)
    // and its mixed paths (keys and values of different widths, key groups of 64 and 128).
    for (int bits : {1, 2, 4, 8})
      add("decode folded " + std::to_string(bits) + "b G128 + tail" + d, D, 2, 28, 4, 1, false,
          [=] { return std::vector<segment_spec>{kivi(989, bits, 128, D), dense(17)}; });
    add("decode folded windowquant 8/4/2/1 odd + empty + 1-token" + d, D, 3, 28, 4, 1, false, [=] {
      return std::vector<segment_spec>{kivi(1, 8, 64, D), kivi(250, 4, 128, D), segment_spec{}, kivi(1, 2, 128, D),
                                       kivi(777, 2, 64, D), kivi(1023, 1, 128, D), dense(1)};
    });
    add("decode folded K4/V2 + K1/V8 + sym 4b" + d, D, 2, 28, 4, 1, false, [=] {
      segment_spec a = kivi(300, 4, 128, D), b = kivi(129, 1, 64, D);
      a.value.pack.bits = 2;
      b.value.pack.bits = 8;
      b.value.pack.group_size = 32;
      return std::vector<segment_spec>{a, b, kivi(200, 4, 64, D, true), dense(40)};
    });
    add("decode folded bf16 2b" + d, D, 2, 28, 4, 1, true,
        [=] { return std::vector<segment_spec>{kivi(700, 2, 128, D), dense(33)}; });
    add("decode folded GQA 32/8 batch 4, 2 query tokens" + d, D, 4, 32, 8, 2, false,
        [=] { return std::vector<segment_spec>{kivi(2000, 2, 128, D), dense(64)}; });
    add("bf16 uniform 2b" + d, D, 2, 28, 4, 1, true, [] { return std::vector<segment_spec>{kivi(700, 2), dense(33)}; });
    add("GQA 32/8 batch 4" + d, D, 4, 32, 8, 1, false, [] { return std::vector<segment_spec>{kivi(2000, 2), dense(64)}; });
    add("prefill 37 queries" + d, D, 1, 28, 4, 37, false, [] { return std::vector<segment_spec>{kivi(900, 2), kivi(400, 4), dense(37)}; });
    add("prefill 300 queries bf16" + d, D, 1, 28, 4, 300, true,
        [] { return std::vector<segment_spec>{kivi(1200, 4), kivi(1300, 2), dense(300)}; });
  }
  return cs;
}

void test_head_dim_dispatch(ledger& lg) {
  attention_shape s;
  s.q_heads = s.kv_heads = 1;
  s.head_dim = 96;
  s.num_segments = 1;
  s.max_tiles = 1;
  try {
    attention_over_segments(s, nullptr, nullptr, nullptr, nullptr, nullptr, 1 << 20, nullptr);
    lg.fail("dispatch head_dim 96", "no exception");
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()) == "unsupported head_dim: 96") lg.pass("dispatch head_dim 96", e.what());
    else lg.fail("dispatch head_dim 96", e.what());
  }
}

// The benchmark's read floor must read every word it is given: its XOR checksum against the
// host's, for sizes with and without a 16-byte remainder, and grids of one and of many rounds.
void test_stream_read(ledger& lg) {
  std::uniform_int_distribution<uint32_t> word;
  device_buffer sum(4);
  for (const size_t words : {size_t(0), size_t(1), size_t(7), size_t(4096), size_t(4099), size_t(3) << 20,
                             (size_t(3) << 20) + 5}) {
    std::vector<uint32_t> host(words);
    uint32_t expect = 0;
    for (uint32_t& w : host) expect ^= (w = word(rng));
    const device_buffer data = upload(host.data(), words * 4);
    for (const int per_sm : {1, 16}) {
      WQ_CUDA_CHECK(cudaMemset(sum.get(), 0, 4));
      stream_read(data.get(), words * 4, per_sm, sum.as<uint32_t>(), nullptr);
      const uint32_t got = download<uint32_t>(sum, 1)[0];
      const std::string name = "stream_read " + std::to_string(words) + " words, " + std::to_string(per_sm) + "/SM";
      if (got == expect) lg.pass(name, "checksum matches");
      else lg.fail(name, "checksum " + std::to_string(got) + ", expected " + std::to_string(expect));
    }
  }
  const device_buffer data(64);
  const std::pair<std::string, std::function<void()>> bad[] = {
      {"stream_read: data must be 16-byte aligned",
       [&] { stream_read(data.as<uint8_t>() + 4, 16, 1, sum.as<uint32_t>(), nullptr); }},
      {"stream_read: bytes must be a multiple of 4, got 6",
       [&] { stream_read(data.get(), 6, 1, sum.as<uint32_t>(), nullptr); }},
      {"stream_read: blocks_per_sm must be in 1..64, got 0",
       [&] { stream_read(data.get(), 16, 0, sum.as<uint32_t>(), nullptr); }}};
  for (const auto& [message, call] : bad) {
    try {
      call();
      lg.fail("stream_read refuses: " + message, "no exception");
    } catch (const std::invalid_argument& e) {
      if (e.what() == message) lg.pass("stream_read refuses", e.what());
      else lg.fail("stream_read refuses: " + message, e.what());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ledger lg;
  int dev = 0;
  cudaDeviceProp prop{};
  WQ_CUDA_CHECK(cudaGetDevice(&dev));
  WQ_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  std::printf("GPU kernel suite on %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor,
              prop.multiProcessorCount);
  const std::string only = argc > 1 ? argv[1] : "";
  try {
    test_head_dim_dispatch(lg);
    test_stream_read(lg);
    if (only.empty() || only == "pack") {
      test_pack_identity(lg);
      test_pack_many(lg);
      test_interleaved_identity(lg);
    }
    if (only.empty() || only == "attention")
      for (const auto& c : attention_cases()) {
        try {
          run_attention_case(lg, c);
        } catch (const std::exception& e) {
          lg.fail(c.name, std::string("exception: ") + e.what());
        }
      }
  } catch (const std::exception& e) {
    std::printf("FATAL %s\n", e.what());
    return 2;
  }
  std::printf("GPU kernel suite: %d passed, %d failed, %d skipped\n", lg.passed, lg.failed, lg.skipped);
  return lg.failed ? 1 : 0;
}
