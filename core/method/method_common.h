// Building blocks shared by the method files: which tokens a method may quantize, bit-width
// parameters, the planning-time bit cost of a spec, and the probe attention mass that
// saliency methods rank by.
#pragma once

#include <string>
#include <vector>

#include "core/cache/kv_cache.h"
#include "core/cache/plan.h"
#include "core/config/params.h"
#include "core/config/registry.h"
#include "core/method/context_description.h"

namespace wq::methods {

using quant::QuantBits;
using quant::QuantSpec;

// A half-open range of original token positions.
struct TokenRun {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
};

// 1, 1.58, 2, 3, 4, 8, 16 -> QuantBits; throws std::invalid_argument for anything else.
QuantBits bits_from_number(double bits);
double bits_to_number(QuantBits bits);
// Params float (or float list) holding widths.
QuantBits bits_param(const Params& params, const std::string& key);
std::vector<QuantBits> bits_list_param(const Params& params, const std::string& key);
quant::GroupAxis axis_param(const Params& params, const std::string& key);  // "token"|"channel"

// Maximal runs of visual tokens inside [0, T - residual): what a method quantizes when the
// protocol keeps context text and the last `residual` tokens in full precision.
std::vector<TokenRun> visual_runs(const ContextDescription& ctx, int residual);
// Visual positions inside [0, T - residual), in order.
std::vector<int> quantizable_visual(const ContextDescription& ctx, int residual);

// Asymmetric spec with the KIVI layout conventions: `axis` is the direction the group runs
// ALONG (tokens = KIVI "per-channel", channels = "per-token").
QuantSpec make_spec(QuantBits bits, int group_size, quant::GroupAxis axis);

// Planning estimate of storage bits per ORIGINAL element of a long segment under spec:
// packed code bits (padding of 3-bit words included, FFT doubling included) plus fp16
// scale/min per group. 16 for b16. kv_bits measures the exact figure afterwards.
double spec_bits_per_element(const QuantSpec& spec);
// Average of the key and value estimates (K and V have the same element count).
double kv_bits_per_element(const QuantSpec& key, const QuantSpec& value);

// ZipCache-normalised attention mass of every context token in one layer, from the probe
// queries: mass[t] = Σ_heads Σ_q p(h, q, t) / (heads · n_q(t)), where p is the softmax of the
// probe query over the context keys and n_q(t) the number of query tokens that see t (every
// query token sees every context token, so n_q = Q). Returns [T]. Throws when ctx has no
// probe queries.
std::vector<double> probe_attention_mass(const cache::FullKv& kv, const ContextDescription& ctx, int layer);

// ParamSpec shorthands for registrations.
ParamSpec int_param(const std::string& name, long long def, const std::string& help, double lo, double hi);
ParamSpec float_param(const std::string& name, double def, const std::string& help, double lo, double hi);
ParamSpec choice_param(const std::string& name, const std::string& def, std::vector<std::string> choices,
                       const std::string& help);
ParamSpec bool_param(const std::string& name, bool def, const std::string& help);
ParamSpec float_list_param(const std::string& name, const std::string& def_yaml, const std::string& help,
                           double lo, double hi);

}  // namespace wq::methods
