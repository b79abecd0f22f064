// fp16: no compression. Every token stays full precision; the reference for accuracy and
// speed (methods.md "fp16").
#include "core/method/kv_method.h"

namespace wq::methods {
namespace {

class Fp16Method final : public KvMethod {
 public:
  cache::Plan plan(const cache::FullKv&, const ContextDescription&) override { return cache::full_precision_plan(); }
};

const Registration<KvMethod> reg{{"fp16", "no compression (the reference)", {},
                                  [](const Params&) { return std::make_unique<Fp16Method>(); }}};

}  // namespace
}  // namespace wq::methods
