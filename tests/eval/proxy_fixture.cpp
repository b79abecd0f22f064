#include "proxy_fixture.h"

#include "test_files.h"
#include "vlm/train/proxy_trainer.h"

namespace wq::testing {

train::ProxyTrainOptions tiny_proxy_options(const std::string& out) {
  train::ProxyTrainOptions o;
  o.out = out;
  o.seed = 3;
  o.data.frames_min = o.data.frames_max = 32;
  o.data.width = o.data.height = 32;
  o.data.sample_frames = 8;
  o.data.tasks = {"needle", "flash_count"};
  o.num_frames = 8;
  o.model = {32, 2, 2, 1, 48, 16, 1, 2, 32, 8, 64};  // head dim 16
  o.steps = 2;
  o.batch_size = 2;
  o.warmup_steps = 1;
  o.eval_every = 2;
  o.eval_questions = 2;
  return o;
}

const std::string& tiny_proxy_checkpoint() {
  static const std::string folder = [] {
    const train::ProxyTrainOptions o = tiny_proxy_options(make_temp_dir("proxy") + "/ckpt");
    train::train_proxy(o, [](const std::string&) {});
    return o.out;
  }();
  return folder;
}

}  // namespace wq::testing
