// Progress of a sweep on stderr: a redrawn bar with ETA on a terminal, plain lines otherwise
// (logs and CI), throttled so that a fast inner loop does not flood the output.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "experiments/experiment.h"

namespace wq {

class SweepProgress : public ProgressSink {
 public:
  SweepProgress(size_t total_runs, std::FILE* stream = stderr);
  ~SweepProgress() override;

  void start_run(size_t index, const std::string& name);
  void finish_run(const std::string& outcome);
  void update(size_t done, size_t total, const std::string& label = "") override;

 private:
  void draw(bool force);
  double fraction_done() const;

  std::FILE* stream_;
  bool interactive_;
  size_t total_runs_;
  size_t run_index_ = 0;
  std::string run_name_;
  size_t inner_done_ = 0, inner_total_ = 0;
  std::string inner_label_;
  std::chrono::steady_clock::time_point started_, last_draw_;
  double last_plain_fraction_ = -1;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace wq
