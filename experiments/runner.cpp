#include "experiments/runner.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <new>
#include <stdexcept>

#include "core/config/yaml_tree.h"
#include "core/method/kv_method.h"
#include "core/results/provenance.h"
#include "core/results/results_file.h"
#include "experiments/experiment.h"
#include "experiments/progress.h"

namespace wq {
namespace {

std::string scalar_or_empty(const YAML::Node& config, const char* section, const char* key) {
  const YAML::Node node = config[section];
  if (!node || !node.IsMap() || !node[key] || !node[key].IsScalar()) return "";
  return node[key].Scalar();
}

std::vector<std::string> run_ids(const std::vector<ResolvedRun>& runs) {
  std::vector<std::string> ids;
  for (const auto& run : runs) ids.push_back(run.id);
  return ids;
}

void print_dry_run(const Sweep& sweep, const std::vector<ResolvedRun>& runs, const std::string& output) {
  std::printf("sweep %s: %zu run(s) -> %s\n", sweep.name.c_str(), runs.size(), output.c_str());
  for (const auto& note : sweep.notes) std::printf("note: %s\n", note.c_str());
  for (const auto& skip : foreseen_skips(runs)) std::printf("will be skipped: %s\n", skip.c_str());
  for (const auto& run : runs) {
    std::printf("\n# %s  [%s]\n", run.name.c_str(), run.id.c_str());
    YAML::Emitter emitter;
    emitter << run.config;
    std::printf("%s\n", emitter.c_str());
  }
}

RunRecord new_record(const ResolvedRun& run) {
  RunRecord record;
  record.run_id = run.id;
  record.name = run.name;
  record.method = scalar_or_empty(run.config, "method", "name");
  record.experiment = scalar_or_empty(run.config, "experiment", "kind");
  YAML::Emitter emitter;
  emitter << run.config;
  record.config_yaml = emitter.c_str();
  record.config_flat = flatten_config(run.config);
  for (const auto& [section, identity] : run.inputs) record.metric_notes[section + "_fingerprint"] = identity;
  record.started_at = utc_now_iso8601();
  record.status = RunStatus::Running;
  return record;
}

}  // namespace

std::vector<std::string> foreseen_skips(const std::vector<ResolvedRun>& runs) {
  std::vector<std::string> lines;
  for (const auto& run : runs) {
    const Params params(run.config["experiment"], "experiment", run.sources.get());
    const auto experiment = Registry<Experiment>::instance().make(params.get_string("kind"), params);
    const std::string reason = experiment->foresee(run.config, run.sources.get());
    if (!reason.empty()) lines.push_back(run.name + ": " + reason);
  }
  return lines;
}

Params RunContext::section(const std::string& name) const {
  return Params(config[name], name, sources);
}

std::string sweep_output_path(const Sweep& sweep, const RunnerOptions& options) {
  std::string output = options.output.empty() ? sweep.output : options.output;
  if (!options.shard || options.shard->count == 1) return output;
  std::filesystem::path path(output);
  const std::string suffix = ".shard-" + std::to_string(options.shard->index) + "-of-" +
                             std::to_string(options.shard->count);
  return (path.parent_path() / (path.stem().string() + suffix + path.extension().string())).string();
}

RunRecord execute_run(const ResolvedRun& run, ProgressSink& progress) {
  RunRecord record = new_record(run);
  try {
    const std::string kind = record.experiment;
    const Params params(run.config["experiment"], "experiment", run.sources.get());
    auto experiment = Registry<Experiment>::instance().make(kind, params);
    RunContext context{run.config, run.sources.get(), record, progress};
    experiment->run(context);
    // An experiment marks its run partial itself (failed samples beyond what the config allows).
    if (record.status != RunStatus::Partial) record.status = RunStatus::Complete;
  } catch (const methods::BudgetInfeasible& infeasible) {
    record = new_record(run);  // nothing it measured belongs to the budget it was asked for
    record.status = RunStatus::Skipped;
    record.error = infeasible.what();
    record.metrics["budget_floor_bits"] = infeasible.floor_bits();
  } catch (const std::bad_alloc&) {
    record.status = RunStatus::Failed;
    record.error = "out of memory";
  } catch (const std::exception& error) {
    record.status = RunStatus::Failed;
    record.error = error.what();
  }
  record.finished_at = utc_now_iso8601();
  return record;
}

SweepOutcome run_sweep(const std::string& config_path, const RunnerOptions& options) {
  const Sweep sweep = load_sweep(config_path, options.overrides);
  const std::vector<ResolvedRun> runs =
      options.shard ? select_shard(sweep.runs, *options.shard) : sweep.runs;
  SweepOutcome outcome;
  outcome.output = sweep_output_path(sweep, options);
  if (options.dry_run) {
    print_dry_run(sweep, runs, outcome.output);
    return outcome;
  }

  const bool exists = std::filesystem::exists(outcome.output);
  if (exists && !options.resume)
    throw std::runtime_error(outcome.output + ": results file exists; pass --resume to complete it, "
                             "or --out PATH to write elsewhere");
  if (!std::filesystem::path(outcome.output).parent_path().empty())
    std::filesystem::create_directories(std::filesystem::path(outcome.output).parent_path());
  // Seeds are validated per run; provenance records the first run's.
  const int64_t seed = !sweep.runs.empty() && sweep.runs.front().config["seed"]
                           ? sweep.runs.front().config["seed"].as<int64_t>()
                           : 0;
  Provenance provenance = collect_provenance(options.argv, seed, sweep.name);
  provenance.sweep_fingerprint = sweep_fingerprint(run_ids(sweep.runs));
  provenance.extra["config_file"] = config_path;
  ResultsFile results = ResultsFile::open_or_create(outcome.output, provenance, run_ids(sweep.runs));
  const auto statuses = results.run_statuses();

  SweepProgress progress(runs.size());
  for (size_t index = 0; index < runs.size(); ++index) {
    const ResolvedRun& run = runs[index];
    progress.start_run(index, run.name);
    const auto status = statuses.find(run.id);
    if (status != statuses.end() && (status->second == RunStatus::Complete || status->second == RunStatus::Skipped)) {
      ++outcome.already_done;
      progress.finish_run(std::string("already ") + run_status_name(status->second));
      continue;
    }
    results.commit_run(new_record(run));  // marks the run as in progress
    const RunRecord record = execute_run(run, progress);
    results.commit_run(record);
    if (record.status == RunStatus::Complete) {
      ++outcome.complete;
      progress.finish_run("complete");
    } else if (record.status == RunStatus::Partial) {
      ++outcome.partial;
      progress.finish_run("PARTIAL: " + record.error);
    } else if (record.status == RunStatus::Skipped) {
      ++outcome.skipped;
      progress.finish_run("SKIPPED: " + record.error);
    } else {
      ++outcome.failed;
      progress.finish_run("FAILED: " + record.error);
    }
  }
  provenance.updated_at = utc_now_iso8601();
  results.update_provenance(provenance);
  return outcome;
}

}  // namespace wq
