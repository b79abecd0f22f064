#include "datasets/synth/synth_tasks.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "datasets/video/sampling.h"

namespace wq::synth {

std::vector<int> sampled_frames(int frames, int num_segments) {
  std::set<int> unique;
  for (int64_t index : mvbench_segment_indices(std::nullopt, 3.0, frames, 1, num_segments))
    unique.insert(static_cast<int>(index) - 1);  // files are numbered from 1
  return {unique.begin(), unique.end()};
}

namespace {

struct Span {
  int from, to;  // inclusive
};

// Event span around sample point k of `points`, inside the frames no other sample point
// (or chosen neighbour) can see: [points[k-1]+1, points[k+1]-1]. Harder = shorter.
// anchored: start exactly at the sample point (colour changes only happen at points).
Span span_at(const std::vector<int>& points, size_t k, int frames, int difficulty, Rng& rng,
             bool prev_taken = false, bool anchored = false) {
  const int s = points[k];
  const int lo = anchored || prev_taken ? s : (k > 0 ? points[k - 1] + 1 : 0);
  const int hi = k + 1 < points.size() ? points[k + 1] - 1 : frames - 1;
  const int room = hi - lo + 1;
  const int len = std::max(1, static_cast<int>(std::lround(room * (6 - difficulty) / 10.0)));
  const int a_min = std::max(lo, s - len + 1), a_max = std::min(s, hi - len + 1);
  const int a = static_cast<int>(rng.uniform_int(a_min, std::max(a_min, a_max)));
  return {a, std::min(hi, a + len - 1)};
}

// `count` distinct indices in [0, n), sorted; non_adjacent: no two consecutive.
std::vector<size_t> choose_points(size_t n, int count, bool non_adjacent, Rng& rng) {
  const size_t slots = non_adjacent ? n - count + 1 : n;
  std::vector<size_t> all(slots);
  for (size_t i = 0; i < slots; ++i) all[i] = i;
  rng.shuffle(all);
  std::vector<size_t> out(all.begin(), all.begin() + count);
  std::sort(out.begin(), out.end());
  if (non_adjacent)
    for (size_t i = 0; i < out.size(); ++i) out[i] += i;  // stars and bars: gaps of >= 1
  return out;
}

// Puts `right` at `position` among the shuffled `wrong` ones.
void arrange(Question& q, const std::string& right, std::vector<std::string> wrong, int position, Rng& rng) {
  rng.shuffle(wrong);
  q.candidates = wrong;
  q.candidates.insert(q.candidates.begin() + position, right);
  q.answer = position;
}

std::vector<int> distinct_palette(int count, Rng& rng) {
  std::vector<int> ids(kPalette.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  rng.shuffle(ids);
  ids.resize(count);
  return ids;
}

Shape random_shape(Rng& rng) { return static_cast<Shape>(rng.uniform_int(0, kShapeCount - 1)); }
std::string describe(const Track& t, int frame) { return std::string(t.colour[frame].name) + " " + shape_name(t.shape); }

void add_evidence(Question& q, const Track& track, Span span, const Colour& colour) {
  for (int f = span.from; f <= span.to; ++f) {
    q.evidence.push_back(f);
    q.probes.push_back({f, static_cast<int>(track.x[f]), static_cast<int>(track.y[f]), colour});
  }
}

void finish(Question& q) {
  std::sort(q.evidence.begin(), q.evidence.end());
  q.evidence.erase(std::unique(q.evidence.begin(), q.evidence.end()), q.evidence.end());
}

}  // namespace

Question make_question(const std::string& task, const TaskContext& ctx, Rng& rng) {
  Question q;
  q.scene.frames = ctx.frames;
  q.scene.width = ctx.width;
  q.scene.height = ctx.height;
  const int radius = std::max(3, std::min(ctx.width, ctx.height) / 10 - (ctx.difficulty - 1) / 2);
  add_distractors(q.scene, ctx.difficulty - 1, radius, rng);
  const std::vector<int> points = sampled_frames(ctx.frames, ctx.sample_frames);
  const int n = ctx.num_options;

  if (task == "needle") {
    // One object is on screen for a single short span: which colour was it?
    const std::vector<int> colours = distinct_palette(n, rng);
    const auto cell = distinct_cells(ctx.width, ctx.height, radius, 1, rng)[0];
    Track needle(ctx.frames, random_shape(rng), radius, kPalette[colours[0]], cell.first, cell.second);
    const Span span = span_at(points, rng.uniform_int(0, points.size() - 1), ctx.frames, ctx.difficulty, rng);
    needle.show(span.from, span.to);
    add_evidence(q, needle, span, needle.colour[0]);
    q.question = "A shape appeared for only a moment in the video. What colour was it?";
    std::vector<std::string> wrong;
    for (int i = 1; i < n; ++i) wrong.push_back(kPalette[colours[i]].name);
    arrange(q, kPalette[colours[0]].name, wrong, ctx.answer_position, rng);
    q.scene.tracks.push_back(std::move(needle));
  } else if (task == "attribute_at_event") {
    // A shape cycles through n colours (changing only at sample points); another shape
    // appears once: which colour did the first have at that moment?
    const std::vector<int> colours = distinct_palette(n + 1, rng);
    const auto cells = distinct_cells(ctx.width, ctx.height, radius, 2, rng);
    const Shape shape_a = random_shape(rng);
    const Shape shape_e = static_cast<Shape>((static_cast<int>(shape_a) + rng.uniform_int(1, kShapeCount - 1)) % kShapeCount);
    Track a(ctx.frames, shape_a, radius, kPalette[colours[0]], cells[0].first, cells[0].second);
    Track e(ctx.frames, shape_e, radius, kPalette[colours[n]], cells[1].first, cells[1].second);
    a.show(0, ctx.frames - 1);
    std::vector<size_t> cuts = choose_points(points.size() - 1, n - 1, false, rng);
    for (size_t& c : cuts) c += 1;  // group g starts at sample point cuts[g-1]
    std::vector<size_t> starts = {0};
    starts.insert(starts.end(), cuts.begin(), cuts.end());
    for (int g = 0; g < n; ++g) {
      const int from = g == 0 ? 0 : points[starts[g]];
      const int to = g + 1 < n ? points[starts[g + 1]] - 1 : ctx.frames - 1;
      for (int f = from; f <= to; ++f) a.colour[f] = kPalette[colours[g]];
    }
    const int group = static_cast<int>(rng.uniform_int(0, n - 1));
    const size_t group_end = group + 1 < n ? starts[group + 1] : points.size();
    const size_t k = rng.uniform_int(starts[group], group_end - 1);
    const Span span = span_at(points, k, ctx.frames, ctx.difficulty, rng, false, true);
    e.show(span.from, span.to);
    add_evidence(q, a, span, kPalette[colours[group]]);
    add_evidence(q, e, span, kPalette[colours[n]]);
    q.question = std::string("What colour was the ") + shape_name(shape_a) + " when the " +
                 kPalette[colours[n]].name + " " + shape_name(shape_e) + " appeared?";
    std::vector<std::string> wrong;
    for (int g = 0; g < n; ++g)
      if (g != group) wrong.push_back(kPalette[colours[g]].name);
    arrange(q, kPalette[colours[group]].name, wrong, ctx.answer_position, rng);
    q.scene.tracks.push_back(std::move(a));
    q.scene.tracks.push_back(std::move(e));
  } else if (task == "event_order") {
    // n+1 shapes appear one after another: which one came right after the named one?
    const int m = std::min<int>(n + 1, static_cast<int>(points.size()));
    if (m < n + 1) throw std::invalid_argument("synthetic event_order: video too short for the options");
    const std::vector<int> colours = distinct_palette(m, rng);
    const auto cells = distinct_cells(ctx.width, ctx.height, radius, m, rng);
    const std::vector<size_t> chosen = choose_points(points.size(), m, false, rng);
    std::vector<Track> objects;
    std::vector<Span> spans;
    for (int i = 0; i < m; ++i) {
      objects.emplace_back(ctx.frames, random_shape(rng), radius, kPalette[colours[i]], cells[i].first, cells[i].second);
      const bool prev_taken = i > 0 && chosen[i - 1] + 1 == chosen[i];
      spans.push_back(span_at(points, chosen[i], ctx.frames, ctx.difficulty, rng, prev_taken));
      objects.back().show(spans.back().from, spans.back().to);
    }
    const int p = static_cast<int>(rng.uniform_int(0, m - 2));
    add_evidence(q, objects[p], spans[p], objects[p].colour[0]);
    add_evidence(q, objects[p + 1], spans[p + 1], objects[p + 1].colour[0]);
    q.question = "Which shape appeared right after the " + describe(objects[p], 0) + "?";
    std::vector<std::string> wrong;
    for (int i = 0; i < m; ++i)
      if (i != p && i != p + 1) wrong.push_back(describe(objects[i], 0));
    arrange(q, describe(objects[p + 1], 0), wrong, ctx.answer_position, rng);
    for (Track& t : objects) q.scene.tracks.push_back(std::move(t));
  } else if (task == "flash_count") {
    // A shape flashes k times, each flash seen by exactly one sample point and separated by
    // a sampled frame where it is off.
    const int max_count = std::max(1, std::min(n + 2, static_cast<int>(points.size() + 1) / 2));
    const int count = static_cast<int>(rng.uniform_int(1, max_count));
    const auto cell = distinct_cells(ctx.width, ctx.height, radius, 1, rng)[0];
    Track flash(ctx.frames, random_shape(rng), radius, kPalette[distinct_palette(1, rng)[0]], cell.first, cell.second);
    for (size_t k : choose_points(points.size(), count, true, rng)) {
      const Span span = span_at(points, k, ctx.frames, ctx.difficulty, rng);
      flash.show(span.from, span.to);
      add_evidence(q, flash, span, flash.colour[0]);
    }
    q.question = "How many times did the " + describe(flash, 0) + " flash?";
    std::vector<std::string> wrong;
    for (int c = 1; c <= std::max(max_count, n); ++c)
      if (c != count) wrong.push_back(std::to_string(c));
    rng.shuffle(wrong);
    wrong.resize(n - 1);
    arrange(q, std::to_string(count), wrong, ctx.answer_position, rng);
    q.scene.tracks.push_back(std::move(flash));
  } else if (task == "motion_direction") {
    // A shape rests, moves straight in one direction across >= 2 sample points, rests.
    static const char* const names[] = {"left", "right", "up", "down"};
    const int dir = static_cast<int>(rng.uniform_int(0, 3));
    Track mover(ctx.frames, random_shape(rng), radius, kPalette[distinct_palette(1, rng)[0]], 0, 0);
    mover.show(0, ctx.frames - 1);
    const bool horizontal = dir < 2;
    const float extent = static_cast<float>(horizontal ? ctx.width : ctx.height);
    const float other = static_cast<float>(horizontal ? ctx.height : ctx.width);
    const float distance = extent * 0.5f;
    const float margin = radius + 1.0f;
    float start = margin + static_cast<float>(rng.uniform01()) * (extent - 2 * margin - distance);
    const float across = margin + static_cast<float>(rng.uniform01()) * (other - 2 * margin);
    const bool backwards = dir == 0 || dir == 2;  // left / up: coordinates decrease
    if (backwards) start += distance;
    const int max_gaps = std::max(1, static_cast<int>((points.size() - 1) * (6 - ctx.difficulty) / 10));
    const int gaps = static_cast<int>(rng.uniform_int(1, max_gaps));
    const size_t k0 = rng.uniform_int(0, points.size() - 1 - gaps);
    const Span span{points[k0], points[k0 + gaps]};
    for (int f = 0; f < ctx.frames; ++f) {
      const float t = f <= span.from ? 0.f : f >= span.to ? 1.f : float(f - span.from) / float(span.to - span.from);
      const float along = start + (backwards ? -1.f : 1.f) * distance * t;
      mover.x[f] = horizontal ? along : across;
      mover.y[f] = horizontal ? across : along;
    }
    add_evidence(q, mover, span, mover.colour[0]);
    q.question = "In which direction did the " + describe(mover, 0) + " move?";
    std::vector<std::string> wrong;
    for (int d = 0; d < 4; ++d)
      if (d != dir) wrong.push_back(names[d]);
    rng.shuffle(wrong);
    wrong.resize(std::min(n, 4) - 1);
    arrange(q, names[dir], wrong, std::min(ctx.answer_position, static_cast<int>(wrong.size())), rng);
    q.scene.tracks.push_back(std::move(mover));
  } else {
    throw std::invalid_argument("synthetic: unknown task '" + task + "'");
  }
  finish(q);
  return q;
}

}  // namespace wq::synth
