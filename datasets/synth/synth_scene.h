// Building blocks of the synthetic benchmark: a portable RNG, the palette, object tracks and
// the rasteriser. Internal to datasets/synth.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace wq::synth {

// std::mt19937_64's sequence is fixed by the standard, but std::uniform_int_distribution
// and friends are not (libstdc++ and libc++ differ), so the distributions are ours.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t next() { return engine_(); }
  // Uniform integer in [lo, hi] by rejection sampling (no modulo bias).
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  template <class T>
  void shuffle(std::vector<T>& values) {  // Fisher-Yates, last element first
    for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[uniform_int(0, i - 1)]);
  }

 private:
  std::mt19937_64 engine_;
};

// splitmix64 finaliser: independent streams per (seed, task, question).
uint64_t mix_seed(uint64_t a, uint64_t b);
uint64_t hash_text(const std::string& text);  // FNV-1a 64

struct Colour {
  const char* name;
  uint8_t rgb[3];
};
// Saturated colours questions may name (kPalette) and the neutral colours of distractors,
// far apart so JPEG round trips never confuse them.
extern const std::vector<Colour> kPalette;
extern const std::vector<Colour> kDistractorColours;
enum class Shape { Square, Circle, Triangle };
const char* shape_name(Shape shape);
constexpr int kShapeCount = 3;

// One object over the whole video; per-frame state (frames are few and small).
struct Track {
  Shape shape = Shape::Square;
  int radius = 6;
  std::vector<uint8_t> visible;
  std::vector<float> x, y;
  std::vector<Colour> colour;
  Track(int frames, Shape s, int r, Colour c, float cx, float cy)
      : shape(s), radius(r), visible(frames, 0), x(frames, cx), y(frames, cy), colour(frames, c) {}
  void show(int from, int to) {  // inclusive frame range
    for (int f = from; f <= to; ++f) visible[f] = 1;
  }
};

struct Scene {
  int frames = 0, width = 0, height = 0;
  std::vector<Track> tracks;  // drawn in order: later tracks on top
};

// RGB of frame f: [height][width][3].
std::vector<uint8_t> render_frame(const Scene& scene, int frame);

// Moving neutral shapes that bounce off the borders, drawn under the question's objects.
void add_distractors(Scene& scene, int count, int radius, Rng& rng);

// `count` distinct cell centres of a grid with cells of 2*radius+4 px.
std::vector<std::pair<float, float>> distinct_cells(int width, int height, int radius, int count, Rng& rng);

}  // namespace wq::synth
