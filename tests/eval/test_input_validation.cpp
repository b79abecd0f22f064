// What validation knows without running (issue #25): every dataset's root and layout and the
// model checkpoint (config.json of the family, processor config, tokenizer, safetensors whose
// headers and shard index agree) are config errors naming the key before anything runs, and
// the checkpoint's fingerprint is part of the run id, so the same config over a replaced
// checkpoint is another run while a copy of the checkpoint elsewhere is the same run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config/config_error.h"
#include "core/config/load_sweep.h"
#include "proxy_fixture.h"
#include "test_files.h"

namespace wq {
namespace {
namespace fs = std::filesystem;

// The one-line errors of loading `yaml` (empty when it loads).
std::string load_errors(const std::string& dir, const std::string& yaml) {
  testing::write_file(dir + "/c.yaml", yaml);
  try {
    load_sweep(dir + "/c.yaml", {});
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

std::string config_with(const std::string& model_path, const std::string& dataset, const std::string& model_name = "llava_onevision") {
  return "name: c\nexperiment: {kind: accuracy}\nmethod: {name: fp16}\nmodel: {name: " + model_name + ", path: " +
         model_path + "}\ndataset: " + dataset + "\n";
}

TEST(InputValidation, DatasetRootsAndLayoutsAreCheckedBeforeAnythingRuns) {
  const std::string dir = testing::make_temp_dir("validate-datasets");
  const std::string empty = dir + "/empty";
  fs::create_directories(empty);
  const std::string model = testing::tiny_proxy_checkpoint();
  const struct {
    std::string dataset, expected;
  } cases[] = {
      {"{name: synthetic, root: " + dir + "/absent}",
       "c.yaml:5: dataset.root: '" + dir + "/absent' is not a folder; point it at wq synth output or set dataset.generate"},
      {"{name: synthetic, root: " + empty + "}", "dataset.root: " + empty + "/task_table.json: cannot open task table"},
      {"{name: mvbench, root: " + empty + "}", "dataset.root: " + empty + "/json/"},
      {"{name: videomme, root: " + empty + "}", "dataset.root: " + empty + "/videomme.json: cannot open VideoMME annotations"},
  };
  for (const auto& c : cases) {
    const std::string errors = load_errors(dir, config_with(model, c.dataset));
    EXPECT_NE(errors.find(c.expected), std::string::npos) << c.dataset << "\n" << errors;
  }
  // A root that `generate` will write is not required to exist yet.
  EXPECT_EQ(load_errors(dir, config_with(model, "{name: synthetic, root: " + dir + "/later, generate: {seed: 1}}")), "");
}

TEST(InputValidation, CheckpointFolderIsCheckedForItsFamilyAndFiles) {
  const std::string dir = testing::make_temp_dir("validate-checkpoint");
  const std::string dataset = "{name: synthetic, root: " + dir + "/data, generate: {seed: 1}}";
  fs::create_directories(dir + "/empty");
  EXPECT_NE(load_errors(dir, config_with(dir + "/empty", dataset)).find("model.path: " + dir + "/empty/config.json: cannot open"),
            std::string::npos);
  EXPECT_NE(load_errors(dir, config_with(testing::tiny_proxy_checkpoint(), dataset, "qwen2_vl"))
                .find("config.json has model_type 'llava_onevision'; this model.name reads qwen2_vl or qwen2_5_vl"),
            std::string::npos);
  const std::string no_weights = dir + "/no_weights";
  fs::copy(testing::tiny_proxy_checkpoint(), no_weights);
  fs::remove(no_weights + "/model.safetensors");
  EXPECT_NE(load_errors(dir, config_with(no_weights, dataset)).find("no model.safetensors or model.safetensors.index.json"),
            std::string::npos);
  // random_weights needs no weight files.
  EXPECT_EQ(load_errors(dir, config_with(no_weights + ", random_weights: true", dataset)), "");
  const std::string no_tokenizer = dir + "/no_tokenizer";
  fs::copy(testing::tiny_proxy_checkpoint(), no_tokenizer);
  fs::remove(no_tokenizer + "/tokenizer.json");
  EXPECT_NE(load_errors(dir, config_with(no_tokenizer, dataset)).find("model.path: " + no_tokenizer + "/tokenizer.json: no tokenizer.json"),
            std::string::npos);
}

TEST(InputValidation, RunIdFollowsTheCheckpointsBytesNotItsFolder) {
  const std::string dir = testing::make_temp_dir("validate-fingerprint");
  const std::string dataset = "{name: synthetic, root: " + dir + "/data, generate: {seed: 1}}";
  const std::string a = dir + "/a", b = dir + "/b";
  fs::copy(testing::tiny_proxy_checkpoint(), a);
  fs::copy(testing::tiny_proxy_checkpoint(), b);
  auto run_of = [&](const std::string& path) {
    // The path is relative, so that both folders give the same config text.
    testing::write_file(dir + "/c.yaml", config_with(path, dataset));
    return load_sweep(dir + "/c.yaml", {}).runs.at(0);
  };
  const ResolvedRun first = run_of("a");
  ASSERT_EQ(first.inputs.at("model").rfind("fnv1a64:", 0), 0u) << first.inputs.at("model");
  EXPECT_EQ(run_of("a").id, first.id);
  // The same checkpoint in another folder is the same run.
  fs::remove_all(a);
  fs::rename(b, a);
  EXPECT_EQ(run_of("a").id, first.id);
  // One weight byte replaced (the data's last block is always read) is another run.
  {
    std::fstream weights(a + "/model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    weights.seekg(-1, std::ios::end);
    const char last = static_cast<char>(weights.get());
    weights.seekp(-1, std::ios::end);
    weights.put(static_cast<char>(last ^ 0x5a));
  }
  const ResolvedRun replaced = run_of("a");
  EXPECT_NE(replaced.id, first.id);
  // So is an edited config.json.
  std::ofstream(a + "/config.json", std::ios::app) << "\n";
  EXPECT_NE(run_of("a").id, replaced.id);
}

}  // namespace
}  // namespace wq
