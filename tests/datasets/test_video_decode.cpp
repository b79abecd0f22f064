// Decoding with libav: frame counts, fps, exact frames at given indices, image files, and
// one-line errors naming the file.
#include <gtest/gtest.h>

#include "datasets/dataset.h"
#include "datasets/video/video_reader.h"
#include "fixture_util.h"

namespace wq {
namespace {
namespace fs = std::filesystem;

class VideoDecode : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = test::fresh_dir("decode");
    test::write_grey_frames(dir_ / "png", 30, "png");
  }
  static fs::path dir_;
};
fs::path VideoDecode::dir_;

void expect_grey(const Frames& frames, int i, int grey, int tolerance) {
  const uint8_t* p = frames.pixel(i, frames.height / 2, frames.width / 2);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(p[c], grey, tolerance) << "frame slot " << i << " channel " << c;
}

TEST_F(VideoDecode, PngRoundTripIsExact) {
  const Frames f = decode_image((dir_ / "png" / "00004.png").string());
  ASSERT_EQ(f.count, 1);
  EXPECT_EQ(f.width, 32);
  EXPECT_EQ(f.height, 32);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(f.pixel(0, 5, 7)[c], test::grey_of(3));
}

TEST_F(VideoDecode, ContainersGiveCountFpsAndTheRightFrames) {
  if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed: cannot write fixture videos";
  struct Case {
    const char* file;
    const char* args;
    int tolerance;
  };
  const Case cases[] = {
      {"v.mp4", "-c:v mpeg4 -q:v 1 -pix_fmt yuv420p", 6},
      {"v.avi", "-c:v mpeg4 -q:v 1 -pix_fmt yuv420p", 6},
      {"v.mkv", "-c:v ffv1 -pix_fmt rgb24", 0},                    // lossless, no nb_frames
      {"v.webm", "-c:v libvpx -crf 4 -b:v 2M -pix_fmt yuv420p", 8},  // no nb_frames in webm
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const fs::path file = dir_ / c.file;
    ASSERT_TRUE(test::encode_video(dir_ / "png", file, 10, c.args));
    const VideoInfo info = probe_video(file.string());
    EXPECT_EQ(info.frame_count, 30);
    EXPECT_DOUBLE_EQ(info.fps, 10.0);
    EXPECT_EQ(info.width, 32);
    const Frames f = decode_video_frames(file.string(), {29, 0, 15, 15});
    ASSERT_EQ(f.count, 4);
    expect_grey(f, 0, test::grey_of(29), c.tolerance);
    expect_grey(f, 1, test::grey_of(0), c.tolerance);
    expect_grey(f, 2, test::grey_of(15), c.tolerance);
    expect_grey(f, 3, test::grey_of(15), c.tolerance);
  }
}

TEST_F(VideoDecode, GifFramesCount) {
  if (!test::have_ffmpeg()) GTEST_SKIP() << "ffmpeg CLI not installed: cannot write a fixture gif";
  const fs::path gif = dir_ / "v.gif";
    // A per-file palette keeps the greys exact (the default rgb8 palette would not).
  ASSERT_TRUE(test::encode_video(dir_ / "png", gif, 10,
                                 "-frames:v 8 -vf 'split[a][b];[a]palettegen[p];[b][p]paletteuse'"));
  EXPECT_EQ(probe_video(gif.string()).frame_count, 8);
  const Frames f = decode_video_frames(gif.string(), {7});
  expect_grey(f, 0, test::grey_of(7), 8);
}

TEST_F(VideoDecode, ErrorsAreOneLineAndNameTheFile) {
  const fs::path bad = dir_ / "broken.mp4";
  test::write_text(bad, "this is not a video");
  for (const fs::path& path : {bad, dir_ / "missing.mp4"}) {
    try {
      probe_video(path.string());
      ADD_FAILURE() << "no error for " << path;
    } catch (const DatasetError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind(path.string() + ": ", 0), 0u) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  // Asking for a frame past the end names the file and the frame.
  if (test::have_ffmpeg()) {
    const fs::path file = dir_ / "short.mkv";
    ASSERT_TRUE(test::encode_video(dir_ / "png", file, 10, "-c:v ffv1 -frames:v 5"));
    try {
      decode_video_frames(file.string(), {9});
      ADD_FAILURE() << "no error for frame 9 of 5";
    } catch (const DatasetError& e) {
      EXPECT_NE(std::string(e.what()).find("frame 9"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace wq
