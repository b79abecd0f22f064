// MVBench and VideoMME adapters on tiny fixtures in their on-disk layouts.
#include <gtest/gtest.h>

#include "datasets/mvbench/mvbench_dataset.h"
#include "datasets/videomme/videomme_dataset.h"
#include "fixture_util.h"

namespace wq {
namespace {
namespace fs = std::filesystem;
using V = std::vector<int64_t>;

// root/json/*.json + root/video/<official prefixes>: a bounded mp4 task, an unbounded mkv
// task, and Episodic Reasoning as a 24-file frame folder (fps 3, numbered from 1).
class MvbenchFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_ffmpeg()) return;
    root_ = test::fresh_dir("mvbench");
    test::write_grey_frames(root_ / "png", 30, "png");
    ok_ = test::encode_video(root_ / "png", root_ / "video/star/Charades_v1_480/AB12C.mp4", 10,
                             "-c:v mpeg4 -q:v 1 -pix_fmt yuv420p") &&
          test::encode_video(root_ / "png", root_ / "video/clevrer/video_validation/video_10001.mkv", 10,
                             "-c:v ffv1 -pix_fmt rgb24");
    test::write_grey_frames(root_ / "video/tvqa/frames_fps3_hq/s01e01_clip", 24, "jpg");
    test::write_text(root_ / "json/action_sequence.json", R"([
 {"video": "AB12C.mp4", "question": "What did the person do first?", "candidates": ["Opened the door.", "Sat on the bed.", "Held the phone."], "answer": "Sat on the bed.", "start": 0.5, "end": 2.5},
 {"video": "AB12C.mp4", "question": "Then?", "candidates": ["x", "y"], "answer": "z", "start": 0.0, "end": 1.5}
])");
    test::write_text(root_ / "json/moving_direction.json", R"([
 {"video": "video_10001.mkv", "question": "Which way did the cube move?", "candidates": ["left", "right", "up", "down"], "answer": "down"}
])");
    test::write_text(root_ / "json/episodic_reasoning.json", R"([
 {"video": "s01e01_clip", "question": "Why?", "candidates": ["a", "b", "c", "d", "b"], "answer": "b", "start": 1.0, "end": 7.0}
])");
  }
  void SetUp() override {
    if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed: cannot write fixture videos";
    ASSERT_TRUE(ok_) << "ffmpeg failed to write the fixture videos";
  }
  MvbenchOptions options(MvbenchPreset preset = MvbenchPreset::Official) const {
    MvbenchOptions o;
    o.root = root_.string();
    o.tasks = {"action_sequence", "moving_direction", "episodic_reasoning"};
    o.preset = preset;
    return o;
  }
  static fs::path root_;
  static bool ok_;
};
fs::path MvbenchFixture::root_;
bool MvbenchFixture::ok_ = false;

TEST_F(MvbenchFixture, ReadsItemsAnswersAndBounds) {
  const MvbenchDataset ds(options());
  ASSERT_EQ(ds.size(), 4u);
  EXPECT_EQ(ds.tasks(), (std::vector<std::string>{"action_sequence", "moving_direction", "episodic_reasoning"}));
  const Sample& s = ds.sample(0);
  EXPECT_EQ(s.sample_id, "action_sequence/0000");
  EXPECT_EQ(s.answer_letter, "B");
  ASSERT_TRUE(s.bound.has_value());
  EXPECT_DOUBLE_EQ(s.bound->first, 0.5);
  EXPECT_EQ(ds.sample(1).answer_letter, "@");  // answer not among the candidates
  EXPECT_FALSE(ds.sample(2).bound.has_value());
  EXPECT_EQ(ds.sample(3).source, SourceKind::FrameFolder);
  EXPECT_EQ(ds.sample(3).answer_letter, "E");  // the notebook keeps the last equal candidate
  EXPECT_EQ(ds.prompt(s).user,
            "Question: What did the person do first?\nOptions:\n(A) Opened the door.\n(B) Sat on the bed.\n"
            "(C) Held the phone.\nOnly give the best option.");
  EXPECT_TRUE(ds.score(s, "B) Sat on the bed.").correct);
  EXPECT_TRUE(ds.score(s, "").correct);  // official check_ans quirk
}

TEST_F(MvbenchFixture, OfficialSamplingAndFrames) {
  const MvbenchDataset ds(options());
  // Bounded video: 0.5 s..2.5 s at 10 fps.
  const SampleVideo bounded = ds.load_video(ds.sample(0));
  EXPECT_EQ(bounded.indices, (V{5, 6, 7, 9, 10, 11, 13, 14, 15, 16, 17, 19, 20, 21, 23, 24}));
  EXPECT_EQ(bounded.frame_count, 30);
  ASSERT_EQ(bounded.frames.count, 16);
  for (int i = 0; i < 16; ++i)
    EXPECT_NEAR(bounded.frames.pixel(i, 16, 16)[0], test::grey_of(static_cast<int>(bounded.indices[i])), 6);
  // Whole video.
  EXPECT_EQ(ds.load_video(ds.sample(2), false).indices, (V{0, 2, 4, 5, 7, 9, 11, 13, 14, 16, 18, 20, 22, 24, 25, 27}));
  // Frame folder with bound 1 s..7 s at fps 3; file k holds grey_of(k - 1).
  const SampleVideo folder = ds.load_video(ds.sample(3));
  EXPECT_EQ(folder.indices, (V{3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20}));
  EXPECT_EQ(folder.frame_count, 24);
  for (int i = 0; i < 16; ++i)
    EXPECT_NEAR(folder.frames.pixel(i, 16, 16)[1], test::grey_of(static_cast<int>(folder.indices[i]) - 1), 4);
}

TEST_F(MvbenchFixture, LmmsEvalPreset) {
  MvbenchOptions o = options(MvbenchPreset::LmmsEval);
  o.tasks = {"moving_direction"};  // same folder in both layouts
  const MvbenchDataset ds(o);
  const Sample& s = ds.sample(0);
  EXPECT_EQ(ds.prompt(s).user,
            "Question:Which way did the cube move?\nOption:\n(A) left\n(B) right\n(C) up\n(D) down\n"
            "Only give the best option.\n");
  EXPECT_EQ(ds.load_video(s, false).indices,
            (V{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}));
  EXPECT_TRUE(ds.score(s, "D. down").correct);
  EXPECT_FALSE(ds.score(s, "").counted);
}

TEST_F(MvbenchFixture, MissingVideoFailsThatSampleWithTheFileName) {
  MvbenchOptions o = options();
  o.tasks = {"moving_direction"};
  MvbenchDataset ds(o);
  Sample s = ds.sample(0);
  s.video_path += ".missing";
  try {
    ds.load_video(s);
    ADD_FAILURE() << "no error";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find(s.video_path), std::string::npos) << e.what();
  }
}

TEST(VideommeFixture, PromptBucketsSamplingAndScoring) {
  if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed: cannot write fixture videos";
  const fs::path root = test::fresh_dir("videomme");
  test::write_grey_frames(root / "png", 30, "png");
  ASSERT_TRUE(test::encode_video(root / "png", root / "data/vidA.mp4", 10, "-c:v mpeg4 -q:v 1 -pix_fmt yuv420p"));
  ASSERT_TRUE(test::encode_video(root / "png", root / "data/vidB.mkv", 10, "-c:v ffv1"));
  test::write_text(root / "videomme.json", R"([
 {"video_id": "001", "duration": "short", "domain": "Knowledge", "sub_category": "Astronomy", "videoID": "vidA", "question_id": "001-1", "task_type": "Counting Problem", "question": "How many stars?", "options": ["A. 1.", "B. 2.", "C. 3.", "D. 4."], "answer": "C"},
 {"video_id": "601", "duration": "long", "domain": "Sports Competition", "sub_category": "Football", "videoID": "vidB", "question_id": "601-2", "task_type": "Action Reasoning", "question": "Why?", "options": ["A. a", "B. b", "C. c", "D. d"], "answer": "A"}
])");
  VideommeOptions o;
  o.root = root.string();
  const VideommeDataset ds(o);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.tasks(), (std::vector<std::string>{"short", "long"}));
  const Sample& s = ds.sample(0);
  EXPECT_EQ(s.duration_bucket, "short");
  EXPECT_EQ(s.answer_text, "C. 3.");
  EXPECT_EQ(ds.prompt(s).user,
            "Select the best answer to the following multiple-choice question based on the video and the subtitles. "
            "Respond with only the letter (A, B, C, or D) of the correct option.\nHow many stars?\nA. 1.\nB. 2.\nC. 3.\nD. 4.\n"
            "\nAnswer with the option's letter from the given choices directly.");
  EXPECT_EQ(ds.prompt(s).system, "");
  EXPECT_EQ(ds.sample(1).video_path, (root / "data/vidB.mkv").string());  // .mkv fallback
  const SampleVideo video = ds.load_video(ds.sample(1));
  EXPECT_EQ(video.indices.size(), 32u);
  EXPECT_EQ(video.indices.back(), 29);
  EXPECT_EQ(video.frames.count, 32);
  EXPECT_TRUE(ds.score(s, "C").correct);
  EXPECT_TRUE(ds.score(s, "The best answer is C").correct);
  EXPECT_FALSE(ds.score(s, "").correct);
  EXPECT_TRUE(ds.score(s, "").counted);

  o.durations = {"long"};
  EXPECT_EQ(VideommeDataset(o).size(), 1u);
}

}  // namespace
}  // namespace wq
