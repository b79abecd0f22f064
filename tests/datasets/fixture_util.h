// Helpers for tests that build tiny datasets on disk (written with our own encoder and,
// for real video containers, the ffmpeg CLI).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "datasets/video/video_reader.h"

namespace wq::test {

inline bool have_ffmpeg() { return std::system("ffmpeg -version >/dev/null 2>&1") == 0; }

// A fresh folder under the build tree, removed first so reruns start clean.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::path(WQ_BINARY_DIR) / "test_tmp" / "datasets" / (name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Grey level that frame k of a fixture video shows: 8*k (k < 32).
inline uint8_t grey_of(int k) { return static_cast<uint8_t>(8 * k); }

// Writes `count` flat grey frames (frame k has grey_of(k + first - 1)) as
// dir/%05d.<ext> numbered from `first`.
inline void write_grey_frames(const std::filesystem::path& dir, int count, const std::string& ext, int first = 1,
                              int size = 32) {
  std::filesystem::create_directories(dir);
  std::string rgb(static_cast<size_t>(size) * size * 3, '\0');
  for (int k = 0; k < count; ++k) {
    std::fill(rgb.begin(), rgb.end(), static_cast<char>(grey_of(k + first - 1)));
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.%s", k + first, ext.c_str());
    write_image((dir / name).string(), reinterpret_cast<const uint8_t*>(rgb.data()), size, size);
  }
}

// Encodes the png frames of `frames_dir` (numbered from 1) at `fps` with ffmpeg arguments.
inline bool encode_video(const std::filesystem::path& frames_dir, const std::filesystem::path& out, int fps,
                         const std::string& codec_args) {
  std::filesystem::create_directories(out.parent_path());
  const std::string cmd = "ffmpeg -y -loglevel error -framerate " + std::to_string(fps) + " -start_number 1 -i '" +
                          (frames_dir / "%05d.png").string() + "' " + codec_args + " '" + out.string() + "'";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace wq::test
