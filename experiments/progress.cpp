#include "experiments/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace wq {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long total = std::lround(seconds);
  char text[32];
  if (total >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", total / 3600, (total % 3600) / 60);
  else if (total >= 60)
    std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%lds", total);
  return text;
}

SweepProgress::SweepProgress(size_t total_runs, std::FILE* stream)
    : stream_(stream),
      interactive_(isatty(fileno(stream)) != 0),
      total_runs_(std::max<size_t>(total_runs, 1)),
      started_(std::chrono::steady_clock::now()),
      last_draw_(started_) {}

SweepProgress::~SweepProgress() {
  if (interactive_) std::fputc('\n', stream_);
}

void SweepProgress::start_run(size_t index, const std::string& name) {
  run_index_ = index;
  run_name_ = name;
  inner_done_ = inner_total_ = 0;
  inner_label_.clear();
  if (!interactive_)
    std::fprintf(stream_, "[%zu/%zu] %s: started\n", index + 1, total_runs_, name.c_str());
  draw(true);
}

void SweepProgress::finish_run(const std::string& outcome) {
  inner_done_ = inner_total_ = 1;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (interactive_) {
    std::fprintf(stream_, "\r\033[K[%zu/%zu] %s: %s\n", run_index_ + 1, total_runs_,
                 run_name_.c_str(), outcome.c_str());
  } else {
    std::fprintf(stream_, "[%zu/%zu] %s: %s (elapsed %s)\n", run_index_ + 1, total_runs_,
                 run_name_.c_str(), outcome.c_str(), format_duration(elapsed).c_str());
  }
  std::fflush(stream_);
}

void SweepProgress::update(size_t done, size_t total, const std::string& label) {
  inner_done_ = done;
  inner_total_ = total;
  inner_label_ = label;
  draw(false);
}

double SweepProgress::fraction_done() const {
  const double inner = inner_total_ ? double(inner_done_) / double(inner_total_) : 0.0;
  return (double(run_index_) + std::min(inner, 1.0)) / double(total_runs_);
}

void SweepProgress::draw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const double fraction = fraction_done();
  // Plain output (not a terminal) prints a line per 10% of the sweep at most.
  if (!interactive_) {
    if (!force && fraction - last_plain_fraction_ < 0.1) return;
    last_plain_fraction_ = fraction;
  } else if (!force && since_draw < 0.1) {
    return;
  }
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const double eta = fraction > 0 ? elapsed * (1.0 - fraction) / fraction : NAN;
  if (interactive_) {
    constexpr int kWidth = 28;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stream_, "\r\033[K[%s] %5.1f%% run %zu/%zu %s %zu/%zu %s ETA %s", bar.c_str(),
                 100.0 * fraction, run_index_ + 1, total_runs_, run_name_.c_str(), inner_done_,
                 inner_total_, inner_label_.c_str(), format_duration(eta).c_str());
  } else if (!force) {
    std::fprintf(stream_, "  %.0f%% of sweep, run %zu/%zu at %zu/%zu %s, ETA %s\n",
                 100.0 * fraction, run_index_ + 1, total_runs_, inner_done_, inner_total_,
                 inner_label_.c_str(), format_duration(eta).c_str());
  }
  std::fflush(stream_);
}

}  // namespace wq
