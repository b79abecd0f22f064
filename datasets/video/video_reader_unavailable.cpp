// video_reader.h for builds without FFmpeg's libav* (WQ_VIDEO=AUTO found none): every call
// fails with a one-line error naming the file and what the build lacks.
#include "datasets/dataset.h"
#include "datasets/video/video_reader.h"

namespace wq {
namespace {

[[noreturn]] void unavailable(const std::string& path) {
  throw DatasetError(path + ": this build has no FFmpeg libav* (rebuild with libavformat-dev, libavcodec-dev, "
                            "libswscale-dev and libavutil-dev installed)");
}

}  // namespace

VideoInfo probe_video(const std::string& path) { unavailable(path); }
Frames decode_video_frames(const std::string& path, const std::vector<int64_t>&) { unavailable(path); }
Frames decode_image(const std::string& path) { unavailable(path); }
void write_image(const std::string& path, const uint8_t*, int, int) { unavailable(path); }

}  // namespace wq
