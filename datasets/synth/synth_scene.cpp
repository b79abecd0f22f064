#include "datasets/synth/synth_scene.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace wq::synth {

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  if (hi < lo) throw std::invalid_argument("Rng::uniform_int: empty range");
  const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;  // 0 means the full 2^64
  if (range == 0) return static_cast<int64_t>(next());
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = max - (max % range + 1) % range;  // accept x <= limit
  uint64_t x;
  do x = next();
  while (x > limit);
  return lo + static_cast<int64_t>(x % range);
}

uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t hash_text(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

const std::vector<Colour> kPalette = {
    {"red", {230, 30, 30}},    {"green", {30, 200, 50}},   {"blue", {40, 70, 240}},
    {"yellow", {240, 225, 30}}, {"cyan", {30, 220, 230}},  {"magenta", {225, 40, 225}},
    {"white", {250, 250, 250}}, {"orange", {250, 140, 20}},
};
const std::vector<Colour> kDistractorColours = {{"gray", {120, 120, 120}}, {"brown", {120, 80, 45}}};

const char* shape_name(Shape shape) {
  switch (shape) {
    case Shape::Square: return "square";
    case Shape::Circle: return "circle";
    case Shape::Triangle: return "triangle";
  }
  return "?";
}

namespace {
constexpr uint8_t kBackground[3] = {18, 18, 26};

bool inside(Shape shape, float dx, float dy, float r) {
  switch (shape) {
    case Shape::Square: return std::fabs(dx) <= r && std::fabs(dy) <= r;
    case Shape::Circle: return dx * dx + dy * dy <= r * r;
    case Shape::Triangle: return dy >= -r && dy <= r && std::fabs(dx) <= (dy + r) * 0.5f + 0.5f;
  }
  return false;
}
}  // namespace

std::vector<uint8_t> render_frame(const Scene& scene, int frame) {
  std::vector<uint8_t> rgb(static_cast<size_t>(scene.width) * scene.height * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) std::copy(kBackground, kBackground + 3, rgb.begin() + i);
  for (const Track& track : scene.tracks) {
    if (!track.visible[frame]) continue;
    const float cx = track.x[frame], cy = track.y[frame], r = static_cast<float>(track.radius);
    const int x0 = std::max(0, static_cast<int>(std::floor(cx - r - 1)));
    const int x1 = std::min(scene.width - 1, static_cast<int>(std::ceil(cx + r + 1)));
    const int y0 = std::max(0, static_cast<int>(std::floor(cy - r - 1)));
    const int y1 = std::min(scene.height - 1, static_cast<int>(std::ceil(cy + r + 1)));
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x)
        if (inside(track.shape, x + 0.5f - cx, y + 0.5f - cy, r))
          std::copy(track.colour[frame].rgb, track.colour[frame].rgb + 3,
                    rgb.begin() + (static_cast<size_t>(y) * scene.width + x) * 3);
  }
  return rgb;
}

void add_distractors(Scene& scene, int count, int radius, Rng& rng) {
  for (int i = 0; i < count; ++i) {
    const Colour colour = kDistractorColours[rng.uniform_int(0, kDistractorColours.size() - 1)];
    const Shape shape = static_cast<Shape>(rng.uniform_int(0, kShapeCount - 1));
    Track track(scene.frames, shape, radius, colour, 0, 0);
    const float lo_x = radius, span_x = scene.width - 2.0f * radius;
    const float lo_y = radius, span_y = scene.height - 2.0f * radius;
    float px = lo_x + static_cast<float>(rng.uniform01()) * span_x;
    float py = lo_y + static_cast<float>(rng.uniform01()) * span_y;
    float vx = static_cast<float>(rng.uniform01() * 3.0 - 1.5), vy = static_cast<float>(rng.uniform01() * 3.0 - 1.5);
    for (int f = 0; f < scene.frames; ++f) {
      track.visible[f] = 1;
      track.x[f] = px;
      track.y[f] = py;
      px += vx;
      py += vy;
      if (px < lo_x || px > lo_x + span_x) vx = -vx, px = std::clamp(px, lo_x, lo_x + span_x);
      if (py < lo_y || py > lo_y + span_y) vy = -vy, py = std::clamp(py, lo_y, lo_y + span_y);
    }
    scene.tracks.push_back(std::move(track));
  }
}

std::vector<std::pair<float, float>> distinct_cells(int width, int height, int radius, int count, Rng& rng) {
  const int cell = 2 * radius + 4;
  const int cols = width / cell, rows = height / cell;
  if (cols * rows < count) throw std::invalid_argument("synthetic: image too small for the shapes of a question");
  std::vector<int> ids(cols * rows);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  rng.shuffle(ids);
  std::vector<std::pair<float, float>> out;
  const float off_x = (width - cols * cell) / 2.0f, off_y = (height - rows * cell) / 2.0f;
  for (int i = 0; i < count; ++i)
    out.emplace_back(off_x + (ids[i] % cols + 0.5f) * cell, off_y + (ids[i] / cols + 0.5f) * cell);
  return out;
}

}  // namespace wq::synth
