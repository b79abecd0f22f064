// Video and image decoding with FFmpeg's libav* (mp4, webm, mkv, avi, gif; jpg/png images).
// Every failure throws DatasetError("<path>: <reason>") on one line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/video/frames.h"

namespace wq {

struct VideoInfo {
  int64_t frame_count = 0;  // container's nb_frames, else the number of video packets
  double fps = 0;           // average frame rate (what decord's get_avg_fps returns)
  int width = 0, height = 0;
};

// Opens the file and reads its header (and packet headers when nb_frames is missing).
VideoInfo probe_video(const std::string& path);

// Decodes the frames at `indices` (0-based, display order; any order, repeats allowed) and
// returns them in the order asked. Decoding is sequential from the start and stops after
// the largest wanted index; only wanted frames are converted to RGB.
Frames decode_video_frames(const std::string& path, const std::vector<int64_t>& indices);

// Decodes one still image (jpg, png, ...) to RGB: [1][H][W][3].
Frames decode_image(const std::string& path);

// Encodes one RGB image [H][W][3] to `path`; the format follows the extension (.png is
// lossless; .jpg uses 4:4:4 chroma at the highest quality so flat colours survive).
void write_image(const std::string& path, const uint8_t* rgb, int width, int height);

}  // namespace wq
