// The KV-method interface (design.md "Method"): a method looks at the full-precision cache
// after the context prefill and at the sample's description, and DECIDES a cache::Plan.
// Applying the plan (reordering, packing, byte accounting) is shared code in core/cache, so a
// method file holds only its decision (kvpress's press pattern).
//
// Adding a method: baselines/<name>.cpp with a KvMethod subclass and one
//   static const Registration<methods::KvMethod> reg{{name, summary, params, factory}};
// a preset in configs/methods/<name>.yaml, an entry in tests/methods/method_cases.cpp, a
// section in docs/methods.md.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/cache/kv_cache.h"
#include "core/cache/plan.h"
#include "core/config/params.h"
#include "core/config/registry.h"
#include "core/method/context_description.h"

namespace wq::methods {

class KvMethod {
 public:
  virtual ~KvMethod() = default;
  // kv: [layers][kv_heads][T][head_dim] fp32 post-RoPE; ctx validated against kv by the
  // caller (core/method/compress.h). Deterministic: the same inputs give the same plan.
  virtual cache::Plan plan(const cache::FullKv& kv, const ContextDescription& ctx) = 0;
};

using MethodRegistry = Registry<KvMethod>;

// Thrown by a method whose `budget_bits` lies below the cheapest plan it can make on this
// context (every unit at its narrowest width): the run is recorded as skipped with this
// message, never run at another budget under the same name.
class BudgetInfeasible : public std::runtime_error {
 public:
  BudgetInfeasible(const std::string& method, double budget, double floor_bits, const std::string& kind);
  double floor_bits() const { return floor_bits_; }

 private:
  double floor_bits_;
};

// Builds a registered method from a YAML map of its parameters, the way the config validator
// does for a run: unknown keys are an error (with the accepted names), defaults fill the rest,
// and bounds/choices are checked. name: registry name ("kivi").
std::unique_ptr<KvMethod> make_method(const std::string& name, const YAML::Node& params = YAML::Node());
// Same from YAML text, e.g. make_method("kivi", "{bits: 2, group_size: 32}").
std::unique_ptr<KvMethod> make_method(const std::string& name, const std::string& params_yaml);

// The method of a run's `method:` section (its `name` and parameters, already validated).
std::unique_ptr<KvMethod> make_method(const Params& method_section);

}  // namespace wq::methods
