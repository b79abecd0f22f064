// An experiment kind turns one resolved config into one run's results.
#pragma once

#include <functional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "core/config/params.h"
#include "core/results/run_record.h"

namespace wq {

class SourceMap;

// Progress of the run in progress, reported to the runner's progress bar.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // done/total of this run's work items (samples, layers, ...); may be called often.
  virtual void update(size_t done, size_t total, const std::string& label = "") = 0;
};

struct RunContext {
  const YAML::Node& config;      // the full resolved config of this run
  const SourceMap* sources;      // where each key came from (for error messages)
  RunRecord& record;             // fill samples, metrics and arrays here
  ProgressSink& progress;
  // Params view of a top-level section ("method", "model", "dataset"), validated.
  Params section(const std::string& name) const;
};

class Experiment {
 public:
  virtual ~Experiment() = default;
  // Runs the experiment and fills ctx.record. Throws on failure (the runner records the
  // run as failed and goes on with the sweep).
  virtual void run(RunContext& ctx) = 0;
  // What `--dry-run` and `wq validate` can know of the run without running it: why it will be
  // skipped (a budget its method cannot meet on the context this experiment builds), as one
  // line, or "" when nothing is foreseen. Only experiments whose context is known from the
  // config (not from a video) can say.
  virtual std::string foresee(const YAML::Node& config, const SourceMap* sources) const {
    (void)config;
    (void)sources;
    return "";
  }
};

}  // namespace wq
