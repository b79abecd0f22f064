// wq train-proxy: the options file's checks, a few steps of every way of asking (multiple
// choice, open, verify) ending in a checkpoint with its log, and resuming from the trainer
// state (bit-exact, refused under another config).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "proxy_fixture.h"
#include "test_files.h"
#include "vlm/models/safetensors.h"
#include "vlm/tokenizer/tokenizer.h"
#include "vlm/train/proxy_options.h"
#include "vlm/train/proxy_trainer.h"

namespace wq {
namespace {

TEST(ProxyTrainOptions, ReadsTheScheduleAndRejectsAskingSharesAboveOne) {
  const std::string dir = testing::make_temp_dir("proxy_options");
  testing::write_file(dir + "/ok.yaml", "out: " + dir +
                                           "\nmodel: {save_dtype: bf16}\ntrain: {steps: 7, open_answer_fraction: 0.25, "
                                           "verify_fraction: 0.5, time_budget_s: 30, state_dtype: bf16}\n");
  const train::ProxyTrainOptions o = train::load_proxy_train_options(dir + "/ok.yaml");
  EXPECT_EQ(o.steps, 7);
  EXPECT_DOUBLE_EQ(o.time_budget_s, 30);
  EXPECT_EQ(o.save_dtype, "bf16");
  EXPECT_EQ(o.state_dtype, "bf16");
  EXPECT_DOUBLE_EQ(o.open_answer_fraction, 0.25);
  EXPECT_DOUBLE_EQ(o.verify_fraction, 0.5);
  testing::write_file(dir + "/bad.yaml", "out: " + dir + "\ntrain: {open_answer_fraction: 0.75, verify_fraction: 0.5}\n");
  try {
    train::load_proxy_train_options(dir + "/bad.yaml");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("verify_fraction"), std::string::npos) << e.what();
  }
}

TEST(ProxyTrainer, EveryWayOfAskingTrainsAndTheLogRecordsLetterLossAndAccuracy) {
  train::ProxyTrainOptions o = testing::tiny_proxy_options(testing::make_temp_dir("proxy_train") + "/ckpt");
  o.data.tasks = {"needle", "event_order"};
  o.model.tokenizer_merges = 384;  // enough for " yes" and " no" to be single tokens
  o.steps = 4;
  o.batch_size = 6;
  o.eval_questions = 4;
  o.open_answer_fraction = 0.3;
  o.verify_fraction = 0.4;
  const train::ProxyTrainResult result = train::train_proxy(o, [](const std::string&) {});
  EXPECT_EQ(result.steps, 4);
  EXPECT_GE(result.heldout_accuracy, 0.0);
  EXPECT_LE(result.heldout_accuracy, 1.0);

  const auto tokenizer = tokenizer::Tokenizer::from_json_text(testing::read_file(o.out + "/tokenizer.json"));
  EXPECT_EQ(tokenizer.encode(" yes").size(), 1u);
  EXPECT_EQ(tokenizer.encode(" no").size(), 1u);
  const auto log = nlohmann::json::parse(testing::read_file(o.out + "/train_log.json"));
  ASSERT_EQ(log["history"].size(), 2u);
  for (const auto& entry : log["history"]) {
    // A multiple-choice letter among 4 options starts near ln 4, far from 0.
    EXPECT_GT(entry["letter_loss"].get<double>(), 0.5);
    EXPECT_TRUE(entry.contains("heldout_accuracy"));
  }
}

// Every tensor of the two checkpoints' model.safetensors, bit for bit.
void expect_same_weights(const std::string& a, const std::string& b) {
  const auto left = models::Checkpoint::open(a), right = models::Checkpoint::open(b);
  ASSERT_EQ(left.names(), right.names());
  for (const auto& name : left.names()) EXPECT_TRUE(left.get(name).equal(right.get(name))) << name;
}

TEST(ProxyTrainer, StoppingHalfwayAndResumingGivesTheWeightsOfOneUninterruptedRun) {
  const std::string dir = testing::make_temp_dir("proxy_resume");
  train::ProxyTrainOptions o = testing::tiny_proxy_options(dir + "/straight");
  o.steps = 4;
  o.warmup_steps = 2;  // the learning rate changes every step: a resume at the wrong step shows
  o.eval_every = 100;  // evaluations only where a call ends
  train::train_proxy(o, [](const std::string&) {});

  o.out = dir + "/halves";
  o.call.max_steps = 2;
  EXPECT_EQ(train::train_proxy(o, [](const std::string&) {}).steps, 2);
  o.call = {};
  o.call.resume = true;
  EXPECT_EQ(train::train_proxy(o, [](const std::string&) {}).steps, 4);
  expect_same_weights(dir + "/straight", dir + "/halves");
  const auto log = nlohmann::json::parse(testing::read_file(o.out + "/train_log.json"));
  ASSERT_EQ(log["history"].size(), 2u);  // one entry per call, the first kept by the second
  EXPECT_EQ(log["history"][0]["step"], 2);
  EXPECT_EQ(log["history"][1]["step"], 4);

  // Another model in the same folder: refused before anything there is replaced.
  const std::string config = testing::read_file(o.out + "/config.json");
  train::ProxyTrainOptions other = o;
  other.model.text_intermediate += 8;
  EXPECT_THROW(train::train_proxy(other, [](const std::string&) {}), std::invalid_argument);
  EXPECT_EQ(testing::read_file(o.out + "/config.json"), config);
}

TEST(ProxyTrainer, Bf16WeightsAndMomentsSaveNarrowAndResume) {
  train::ProxyTrainOptions o = testing::tiny_proxy_options(testing::make_temp_dir("proxy_bf16") + "/ckpt");
  o.steps = 2;
  o.save_dtype = o.state_dtype = "bf16";
  o.call.max_steps = 1;
  train::train_proxy(o, [](const std::string&) {});
  o.call.resume = true;
  EXPECT_EQ(train::train_proxy(o, [](const std::string&) {}).steps, 2);
  const auto model = models::SafetensorsFile::open(o.out + "/model.safetensors");
  for (const auto& info : model->header().tensors) EXPECT_EQ(info.dtype, models::DType::BF16) << info.name;
  const auto state = nlohmann::json::parse(testing::read_file(o.out + "/trainer_state.json"));
  EXPECT_EQ(state["step"], 2);
  std::size_t shards = 0;
  for (const auto& entry : std::filesystem::directory_iterator(o.out))
    shards += entry.path().filename().string().rfind("trainer_state-", 0) == 0;
  EXPECT_EQ(shards, state["shards"].size());  // the first call's shards are gone
}

}  // namespace
}  // namespace wq
