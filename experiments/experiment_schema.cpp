// Makes the experiment kinds' parameters known to config validation and `wq list`.
#include "core/config/schema.h"
#include "experiments/experiment.h"

namespace wq {
namespace {
const bool experiment_schema_registered = register_section_schema<Experiment>("experiment", "kind");
}  // namespace
}  // namespace wq
