// wq train-proxy: the options file's checks, and a few steps of every way of asking
// (multiple choice, open, verify) ending in a checkpoint with its log.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "proxy_fixture.h"
#include "test_files.h"
#include "vlm/tokenizer/tokenizer.h"
#include "vlm/train/proxy_options.h"
#include "vlm/train/proxy_trainer.h"

namespace wq {
namespace {

TEST(ProxyTrainOptions, ReadsTheScheduleAndRejectsAskingSharesAboveOne) {
  const std::string dir = testing::make_temp_dir("proxy_options");
  testing::write_file(dir + "/ok.yaml", "out: " + dir + "\ntrain: {steps: 7, open_answer_fraction: 0.25, verify_fraction: 0.5}\n");
  const train::ProxyTrainOptions o = train::load_proxy_train_options(dir + "/ok.yaml");
  EXPECT_EQ(o.steps, 7);
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

}  // namespace
}  // namespace wq
