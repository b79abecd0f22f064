// Shared method building blocks (see method_common.h).
#include "core/method/method_common.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "core/cache/reference_attention.h"
#include "core/quant/quant_format.h"
#include "kernels/cpu/parallel_for.h"

namespace wq::methods {

QuantBits bits_from_number(double bits) {
  for (const auto& f : quant::kFormats)
    if (std::fabs(f.nominal_bits - bits) < 1e-6) return f.bits;
  std::ostringstream os;
  os << "bit-width " << bits << " is not one of 1, 1.58, 2, 3, 4, 8, 16";
  throw std::invalid_argument(os.str());
}

double bits_to_number(QuantBits bits) { return quant::format_info(bits).nominal_bits; }

QuantBits bits_param(const Params& params, const std::string& key) {
  try {
    return bits_from_number(params.get_float(key));
  } catch (const std::invalid_argument& e) {
    params.fail(key, e.what());
  }
}

std::vector<QuantBits> bits_list_param(const Params& params, const std::string& key) {
  std::vector<QuantBits> out;
  try {
    for (double b : params.get_float_list(key)) out.push_back(bits_from_number(b));
  } catch (const std::invalid_argument& e) {
    params.fail(key, e.what());
  }
  if (out.empty()) params.fail(key, "needs at least one bit-width");
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t j = i + 1; j < out.size(); ++j)
      if (out[i] == out[j]) {
        std::ostringstream os;
        os << "lists width " << bits_to_number(out[i]) << " twice (expected distinct bit-widths)";
        params.fail(key, os.str());
      }
  return out;
}

quant::GroupAxis axis_param(const Params& params, const std::string& key) {
  // Config words follow the papers: "channel" = per-channel quantization (groups run along
  // tokens), "token" = per-token (groups run along channels).
  return params.get_string(key) == "channel" ? quant::GroupAxis::tokens : quant::GroupAxis::channels;
}

std::vector<TokenRun> visual_runs(const ContextDescription& ctx, int residual) {
  const int limit = std::max(0, ctx.context_tokens - std::max(0, residual));
  std::vector<TokenRun> runs;
  for (int32_t p : ctx.visual_positions) {
    if (p >= limit) break;
    if (!runs.empty() && runs.back().end == p) {
      ++runs.back().end;
    } else {
      runs.push_back({p, p + 1});
    }
  }
  return runs;
}

std::vector<int> quantizable_visual(const ContextDescription& ctx, int residual) {
  const int limit = std::max(0, ctx.context_tokens - std::max(0, residual));
  std::vector<int> out;
  for (int32_t p : ctx.visual_positions)
    if (p < limit) out.push_back(p);
  return out;
}

QuantSpec make_spec(QuantBits bits, int group_size, quant::GroupAxis axis) {
  return bits == QuantBits::b16 ? quant::fp16_spec() : quant::uniform_spec(bits, group_size, axis);
}

double spec_bits_per_element(const QuantSpec& spec) {
  if (spec.bits == QuantBits::b16) return 16.0;
  const double stored_ratio = spec.transform == quant::Transform::fft_channels ? 2.0 : 1.0;
  double meta = 0.0;
  if (quant::stores_scale(spec)) meta += 16.0;
  if (quant::stores_min(spec)) meta += 16.0;
  return stored_ratio * (quant::packed_bits_per_code(spec) + meta / spec.group_size);
}

double kv_bits_per_element(const QuantSpec& key, const QuantSpec& value) {
  return 0.5 * (spec_bits_per_element(key) + spec_bits_per_element(value));
}

std::vector<double> probe_attention_mass(const cache::FullKv& kv, const ContextDescription& ctx, int layer) {
  if (!ctx.has_probe()) throw std::invalid_argument("this method needs probe queries in the context description");
  if (ctx.probe_heads % kv.kv_heads != 0)
    throw std::invalid_argument("probe heads " + std::to_string(ctx.probe_heads) + " are not a multiple of kv_heads " +
                                std::to_string(kv.kv_heads));
  const int q = ctx.num_query();
  cache::AttentionOptions options;
  options.causal_tail = false;
  options.return_probs = true;
  const int group = ctx.probe_heads / kv.kv_heads;
  const float* queries = ctx.probe_queries[static_cast<size_t>(layer)].data();
  // Every probe head is an independent exact attention (about a second each at 12k tokens and
  // a 7B layer's head dim), so the heads run on all cores; each keeps its own probabilities,
  // summed afterwards in the serial order (head, query), so the result is bit-identical
  // whatever the thread count.
  std::vector<std::vector<float>> head_probs(static_cast<size_t>(ctx.probe_heads));
  kernels::cpu::parallel_for(head_probs.size(), [&](size_t h) {
    const int kv_head = static_cast<int>(h) / group;  // GQA: consecutive query heads share a KV head
    auto att = cache::dense_attention(queries + h * q * kv.head_dim, 1, q, kv.k_head(layer, kv_head),
                                      kv.v_head(layer, kv_head), 1, kv.tokens, 0, kv.head_dim, options);
    head_probs[h] = std::move(att.probs);  // [q][tokens]
  });
  std::vector<double> mass(static_cast<size_t>(kv.tokens), 0.0);
  for (const std::vector<float>& probs : head_probs)
    for (int i = 0; i < q; ++i) {
      const float* p = probs.data() + static_cast<size_t>(i) * kv.tokens;
      for (int t = 0; t < kv.tokens; ++t) mass[static_cast<size_t>(t)] += p[t];
    }
  const double norm = 1.0 / (static_cast<double>(ctx.probe_heads) * std::max(1, q));
  for (double& m : mass) m *= norm;
  return mass;
}

namespace {
ParamSpec base_param(const std::string& name, ParamType type, const std::string& def, const std::string& help) {
  ParamSpec p;
  p.name = name;
  p.type = type;
  p.default_yaml = def;
  p.help = help;
  return p;
}
}  // namespace

ParamSpec int_param(const std::string& name, long long def, const std::string& help, double lo, double hi) {
  ParamSpec p = base_param(name, ParamType::Int, std::to_string(def), help);
  p.min = lo;
  p.max = hi;
  return p;
}

ParamSpec float_param(const std::string& name, double def, const std::string& help, double lo, double hi) {
  std::ostringstream os;
  os << def;
  ParamSpec p = base_param(name, ParamType::Float, os.str(), help);
  p.min = lo;
  p.max = hi;
  return p;
}

ParamSpec choice_param(const std::string& name, const std::string& def, std::vector<std::string> choices,
                       const std::string& help) {
  ParamSpec p = base_param(name, ParamType::String, def, help);
  p.choices = std::move(choices);
  return p;
}

ParamSpec bool_param(const std::string& name, bool def, const std::string& help) {
  return base_param(name, ParamType::Bool, def ? "true" : "false", help);
}

ParamSpec float_list_param(const std::string& name, const std::string& def_yaml, const std::string& help,
                           double lo, double hi) {
  ParamSpec p = base_param(name, ParamType::FloatList, def_yaml, help);
  p.min = lo;
  p.max = hi;
  return p;
}

}  // namespace wq::methods
