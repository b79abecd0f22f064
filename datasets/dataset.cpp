#include "datasets/dataset.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/config/schema.h"
#include "datasets/video/sampling.h"
#include "datasets/video/video_reader.h"

namespace wq {
namespace fs = std::filesystem;

// Validation reads the `dataset:` section's parameters from Registry<Dataset>.
static const bool dataset_schema_registered = register_section_schema<Dataset>("dataset", "name");

const char* source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::VideoFile: return "video";
    case SourceKind::FrameFolder: return "frame";
    case SourceKind::Gif: return "gif";
  }
  return "?";
}

SourceKind parse_source_kind(const std::string& text) {
  if (text == "video") return SourceKind::VideoFile;
  if (text == "frame") return SourceKind::FrameFolder;
  if (text == "gif") return SourceKind::Gif;
  throw std::invalid_argument("unknown data type '" + text + "' (video | frame | gif)");
}

void Dataset::keep_round_robin(size_t n) {
  if (samples_.size() <= n) return;
  std::map<std::string, size_t> seen;  // task -> samples of it visited so far
  std::vector<std::pair<size_t, size_t>> rank;  // (rank within task, original index)
  for (size_t i = 0; i < samples_.size(); ++i) rank.emplace_back(seen[samples_[i].task]++, i);
  std::stable_sort(rank.begin(), rank.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<size_t> keep;
  for (size_t i = 0; i < n; ++i) keep.push_back(rank[i].second);
  std::sort(keep.begin(), keep.end());
  std::vector<Sample> kept;
  for (size_t i : keep) kept.push_back(std::move(samples_[i]));
  samples_ = std::move(kept);
}

std::string option_letter(int index) { return std::string(1, static_cast<char>('A' + index)); }

namespace {

// The reference counts every entry of the folder (len(os.listdir)), not only the jpgs.
int64_t count_folder_entries(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw DatasetError(folder + ": frame folder not found");
  int64_t count = 0;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) ++count;
  if (ec) throw DatasetError(folder + ": cannot list frame folder (" + ec.message() + ")");
  if (count == 0) throw DatasetError(folder + ": frame folder is empty");
  return count;
}

std::string frame_file(const std::string& folder, int64_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "%05lld.jpg", static_cast<long long>(index));
  return (fs::path(folder) / name).string();
}

}  // namespace

SampleVideo Dataset::load_video(const Sample& sample, bool decode) const {
  SampleVideo out;
  const int n = sampling_.num_frames;
  const auto bound = sampling_.use_bounds ? sample.bound : std::nullopt;
  int64_t first_idx = 0, max_frame = 0;
  if (sample.source == SourceKind::FrameFolder) {
    out.frame_count = count_folder_entries(sample.video_path);
    out.fps = sample.fixed_fps > 0 ? sample.fixed_fps : 3.0;
    first_idx = 1;
    max_frame = out.frame_count;  // reference quirk: not count - 1 (files start at 1)
  } else {
    const VideoInfo info = probe_video(sample.video_path);
    out.frame_count = info.frame_count;
    // gifs: the reference ignores the file's timing and assumes 25 fps.
    out.fps = sample.fixed_fps > 0 ? sample.fixed_fps : info.fps;
    max_frame = out.frame_count - 1;
  }
  if (sampling_.rule == SamplingRule::SegmentMiddle) {
    out.indices = mvbench_segment_indices(bound, out.fps, max_frame, first_idx, n);
  } else {
    out.indices = linspace_indices(first_idx, max_frame, n);
  }
  if (sample.source == SourceKind::Gif && sampling_.rule == SamplingRule::SegmentMiddle) {
    // read_gif keeps frame k when `k in frame_indices` while iterating the gif once, so a
    // repeated index yields one frame: reproduce the deduplication (and the sorted order).
    std::set<int64_t> unique(out.indices.begin(), out.indices.end());
    out.indices.assign(unique.begin(), unique.end());
  }
  const int64_t lo = first_idx, hi = max_frame;
  for (int64_t index : out.indices)
    if (index < lo || index > hi)
      throw DatasetError(sample.video_path + ": sampled frame " + std::to_string(index) +
                         " outside [" + std::to_string(lo) + ", " + std::to_string(hi) +
                         "] (bound past the end of the clip?)");
  if (!decode) return out;

  if (sample.source != SourceKind::FrameFolder) {
    out.frames = decode_video_frames(sample.video_path, out.indices);
    return out;
  }
  Frames& frames = out.frames;
  for (size_t i = 0; i < out.indices.size(); ++i) {
    const std::string file = frame_file(sample.video_path, out.indices[i]);
    if (!fs::exists(file)) throw DatasetError(file + ": frame file not found");
    Frames one = decode_image(file);
    if (i == 0) {
      frames.width = one.width;
      frames.height = one.height;
      frames.count = static_cast<int>(out.indices.size());
      frames.rgb.resize(frames.frame_bytes() * frames.count);
    } else if (one.width != frames.width || one.height != frames.height) {
      throw DatasetError(file + ": frame size differs from the folder's first sampled frame");
    }
    std::copy(one.rgb.begin(), one.rgb.end(), frames.frame(static_cast<int>(i)));
  }
  return out;
}

void AccuracyTally::add(const std::string& group, const Score& score) {
  if (!score.counted) return;
  auto [it, inserted] = groups_.emplace(group, std::make_pair<int64_t, int64_t>(0, 0));
  if (inserted) order_.push_back(group);
  it->second.first += score.correct ? 1 : 0;
  it->second.second += 1;
  correct_ += score.correct ? 1 : 0;
  total_ += 1;
}

double AccuracyTally::pooled() const { return total_ ? static_cast<double>(correct_) / total_ : 0.0; }

double AccuracyTally::group(const std::string& name) const {
  auto it = groups_.find(name);
  if (it == groups_.end() || it->second.second == 0) return 0.0;
  return static_cast<double>(it->second.first) / it->second.second;
}

double AccuracyTally::mean_of_groups() const {
  if (groups_.empty()) return 0.0;
  double sum = 0;
  for (const auto& [name, counts] : groups_) sum += static_cast<double>(counts.first) / counts.second;
  return sum / groups_.size();
}

}  // namespace wq
