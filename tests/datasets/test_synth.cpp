// The synthetic benchmark: determinism, balanced answers, evidence visible in the decoded
// frames (and nowhere else for needles and flashes), and the MVBench adapter reading it.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "core/config/resolve_params.h"
#include "datasets/mvbench/mvbench_dataset.h"
#include "datasets/synth/synth.h"
#include "datasets/synth/synth_scene.h"
#include "datasets/video/video_reader.h"
#include "fixture_util.h"

namespace wq {
namespace {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

SynthOptions small_options(const fs::path& out, uint64_t seed) {
  SynthOptions o;
  o.out_dir = out.string();
  o.seed = seed;
  o.questions_per_task = 8;
  o.frames_min = 12;
  o.frames_max = 40;
  o.difficulty = 2;
  return o;
}

bool near(const uint8_t* p, const nlohmann::json& rgb, int tolerance) {
  for (int c = 0; c < 3; ++c)
    if (std::abs(static_cast<int>(p[c]) - rgb[c].get<int>()) > tolerance) return false;
  return true;
}

// Pixels of a decoded frame within `tolerance` of `rgb`.
int count_colour(const Frames& f, const nlohmann::json& rgb, int tolerance) {
  int n = 0;
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) n += near(f.pixel(0, y, x), rgb, tolerance);
  return n;
}

class Synth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = test::fresh_dir("synth");
    result_ = generate_synthetic(small_options(root_ / "a", 7));
  }
  static nlohmann::json task_json(const std::string& task) {
    return nlohmann::json::parse(read_file(root_ / "a/json" / (task + ".json")));
  }
  static fs::path root_;
  static SynthResult result_;
};
fs::path Synth::root_;
SynthResult Synth::result_;

TEST(SynthRng, PortableSequenceAndRanges) {
  synth::Rng a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  // std::mt19937_64 is fully specified: its 10000th output from the default seed.
  std::mt19937_64 reference;
  reference.discard(9999);
  EXPECT_EQ(reference(), 9981545732273789042ULL);
  synth::Rng r(1);
  std::map<int64_t, int> counts;
  for (int i = 0; i < 6000; ++i) counts[r.uniform_int(-1, 4)]++;
  ASSERT_EQ(counts.size(), 6u);
  EXPECT_EQ(counts.begin()->first, -1);
  for (const auto& [value, n] : counts) {
    EXPECT_NEAR(n, 1000, 150) << value;
  }
}

TEST_F(Synth, WritesEveryTaskInMvbenchLayout) {
  EXPECT_EQ(result_.tasks, synth_task_ids());
  EXPECT_EQ(result_.questions, 40);
  EXPECT_TRUE(fs::exists(root_ / "a/task_table.json"));
  EXPECT_TRUE(fs::exists(root_ / "a/video/synthetic/needle/needle_0000/00001.jpg"));
}

TEST_F(Synth, DeterministicGivenTheSeed) {
  const SynthResult again = generate_synthetic(small_options(root_ / "b", 7));
  EXPECT_EQ(again.frames_written, result_.frames_written);
  for (const std::string& task : synth_task_ids()) {
    EXPECT_EQ(read_file(root_ / "a/json" / (task + ".json")), read_file(root_ / "b/json" / (task + ".json"))) << task;
    const fs::path frame = fs::path("video/synthetic") / task / (task + "_0003") / "00005.jpg";
    EXPECT_EQ(read_file(root_ / "a" / frame), read_file(root_ / "b" / frame)) << task;
  }
  generate_synthetic(small_options(root_ / "c", 8));
  EXPECT_NE(read_file(root_ / "a/json/needle.json"), read_file(root_ / "c/json/needle.json"));
}

TEST_F(Synth, AnswersAreBalancedAndUnique) {
  for (const std::string& task : synth_task_ids()) {
    std::map<int, int> per_position;
    for (const auto& item : task_json(task)) {
      const auto candidates = item["candidates"].get<std::vector<std::string>>();
      int position = -1, matches = 0;
      for (size_t i = 0; i < candidates.size(); ++i)
        if (candidates[i] == item["answer"]) position = static_cast<int>(i), ++matches;
      EXPECT_EQ(matches, 1) << task;
      EXPECT_EQ(candidates.size(), 4u) << task;
      per_position[position]++;
    }
    ASSERT_EQ(per_position.size(), 4u) << task;
    for (const auto& [position, n] : per_position) EXPECT_EQ(n, 2) << task << " position " << position;
  }
}

TEST_F(Synth, EvidenceIsInTheDecodedFrames) {
  for (const std::string& task : synth_task_ids()) {
    for (const auto& item : task_json(task)) {
      SCOPED_TRACE(task + " " + item["video"].get<std::string>());
      const fs::path folder = root_ / "a/video/synthetic" / task / item["video"].get<std::string>();
      const int frames = item["num_frames"].get<int>();
      std::vector<Frames> decoded;
      for (int f = 1; f <= frames; ++f) {
        char name[16];
        std::snprintf(name, sizeof(name), "%05d.jpg", f);
        decoded.push_back(decode_image((folder / name).string()));
      }
      const auto& probes = item["evidence_probes"];
      ASSERT_FALSE(probes.empty());
      for (const auto& probe : probes) {
        const Frames& f = decoded.at(probe["frame"].get<int>() - 1);
        EXPECT_TRUE(near(f.pixel(0, probe["y"].get<int>(), probe["x"].get<int>()), probe["rgb"], 40))
            << "frame " << probe["frame"] << " colour " << probe["colour"];
      }
      if (task != "needle" && task != "flash_count") continue;
      // The event's colour is on screen exactly in the evidence frames; for flashes the
      // number of separate runs is the answer.
      const auto evidence = item["evidence_frames"].get<std::vector<int>>();
      int runs = 0;
      bool was_on = false;
      for (int f = 1; f <= frames; ++f) {
        const bool on = count_colour(decoded[f - 1], probes[0]["rgb"], 40) >= 4;
        const bool expected = std::find(evidence.begin(), evidence.end(), f) != evidence.end();
        EXPECT_EQ(on, expected) << "frame " << f;
        runs += on && !was_on;
        was_on = on;
      }
      if (task == "flash_count") {
        EXPECT_EQ(std::to_string(runs), item["answer"].get<std::string>());
      }
    }
  }
}

TEST_F(Synth, MvbenchAdapterReadsItAndSamplesTheEvidence) {
  MvbenchOptions o;
  o.root = (root_ / "a").string();
  o.task_table = result_.task_table;
  const MvbenchDataset ds(o);
  ASSERT_EQ(ds.size(), 40u);
  EXPECT_EQ(ds.tasks(), synth_task_ids());
  for (const Sample& s : ds.samples()) {
    ASSERT_FALSE(s.evidence_frames.empty()) << s.sample_id;
    const SampleVideo video = ds.load_video(s, false);
    // Every question's evidence is visible in at least one frame the 16-frame sampler takes.
    const bool seen = std::any_of(video.indices.begin(), video.indices.end(), [&](int64_t i) {
      return std::find(s.evidence_frames.begin(), s.evidence_frames.end(), i) != s.evidence_frames.end();
    });
    EXPECT_TRUE(seen) << s.sample_id;
  }
  const SampleVideo first = ds.load_video(ds.sample(0));
  EXPECT_EQ(first.frames.count, 16);
  EXPECT_EQ(first.frames.width, 64);
  EXPECT_EQ(ds.prompt(ds.sample(0)).answer_prefix, "Best option:(");
}

TEST(SynthOptionsCheck, RejectsOutOfRange) {
  SynthOptions o = small_options(test::fresh_dir("synth_bad"), 1);
  o.frames_min = 4;
  EXPECT_THROW(generate_synthetic(o), std::invalid_argument);
  o = small_options(test::fresh_dir("synth_bad2"), 1);
  o.tasks = {"nope"};
  EXPECT_THROW(generate_synthetic(o), std::invalid_argument);
}

// The `synthetic` dataset's generate: writes root, keeps it while the parameters match,
// rewrites it when they change, and never touches a benchmark it did not write.
TEST(SynthDataset, GenerateKeepsMatchingRootAndRewritesAStaleOne) {
  const fs::path dir = test::fresh_dir("synth_generate");
  auto make = [&](int questions) {
    YAML::Node values = YAML::Load("{root: " + (dir / "bench").string() + ", num_frames: 8, generate: {seed: 3, "
                                   "questions_per_task: " + std::to_string(questions) +
                                   ", frames_min: 16, frames_max: 16, sample_frames: 8, tasks: [needle]}}");
    const auto* entry = Registry<Dataset>::instance().find("synthetic");
    return Registry<Dataset>::instance().make("synthetic", resolve_params(entry->params, values, "dataset"));
  };
  EXPECT_EQ(make(2)->size(), 2u);
  const auto written = fs::last_write_time(dir / "bench/task_table.json");
  EXPECT_EQ(make(2)->size(), 2u);
  EXPECT_EQ(fs::last_write_time(dir / "bench/task_table.json"), written) << "an up-to-date root is kept";
  EXPECT_EQ(make(3)->size(), 3u) << "other parameters: the root is written again";
  fs::remove(dir / "bench/synth_manifest.json");  // now it looks like a benchmark from elsewhere
  EXPECT_EQ(make(1)->size(), 3u) << "a root without our manifest is read as it is";
}

}  // namespace
}  // namespace wq
