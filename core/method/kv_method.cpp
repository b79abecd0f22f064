// Method construction from YAML (defaults, unknown keys, bounds) or from a run's validated
// `method:` section. Also registers the method registry as the schema of the `method:` config section.
#include "core/method/kv_method.h"

#include <cstdio>
#include <stdexcept>

#include "core/config/resolve_params.h"
#include "core/config/schema.h"

namespace wq::methods {
namespace {

// The config validator learns every method's parameters through this hook.
// Methods are cheap to build and check their widths there, so validation builds each one.
const bool method_schema_registered = register_section_schema<KvMethod>("method", "name", /*construct=*/true);

std::string infeasible_message(const std::string& method, double budget, double floor_bits, const std::string& kind) {
  char text[256];
  std::snprintf(text, sizeof(text), "budget %g below %s's floor of %.4g %s bits on this context", budget, method.c_str(),
                floor_bits, kind.c_str());
  return text;
}

}  // namespace

BudgetInfeasible::BudgetInfeasible(const std::string& method, double budget, double floor_bits, const std::string& kind)
    : std::runtime_error(infeasible_message(method, budget, floor_bits, kind)), floor_bits_(floor_bits) {}

std::unique_ptr<KvMethod> make_method(const std::string& name, const YAML::Node& params) {
  (void)method_schema_registered;
  const auto* entry = MethodRegistry::instance().find(name);
  if (!entry) {
    std::string list;
    for (const auto& n : MethodRegistry::instance().names()) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown method '" + name + "' (registered: " + list + ")");
  }
  return entry->make(resolve_params(entry->params, params, "method"));
}

std::unique_ptr<KvMethod> make_method(const std::string& name, const std::string& params_yaml) {
  return make_method(name, YAML::Load(params_yaml.empty() ? "{}" : params_yaml));
}

std::unique_ptr<KvMethod> make_method(const Params& method_section) {
  return MethodRegistry::instance().make(method_section.get_string("name"), method_section);
}

}  // namespace wq::methods
