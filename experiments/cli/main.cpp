// `wq`: the command-line tool (run, validate, list, show, merge, synth, slurm, train-proxy). --help on every command.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "core/config/config_error.h"
#include "core/config/load_sweep.h"
#include "core/results/merge_results.h"
#include "core/results/results_table.h"
#include "experiments/cli/devices_command.h"
#include "experiments/cli/list_command.h"
#include "experiments/cli/slurm_command.h"
#include "experiments/cli/synth_command.h"
#include "experiments/cli/train_proxy_command.h"
#include "experiments/runner.h"

namespace {

constexpr int kExitConfigError = 2;

int report_config_error(const wq::ConfigError& error) {
  for (const auto& message : error.messages()) std::fprintf(stderr, "error: %s\n", message.c_str());
  std::fprintf(stderr, "%zu error(s); nothing was run\n", error.messages().size());
  return kExitConfigError;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"WindowQuant: KV-cache quantization benchmarks for video language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wq 0.1.0");

  std::string config_path;
  std::vector<std::string> overrides;
  wq::RunnerOptions run_options;
  std::string shard_text;
  bool print_output = false;
  auto* run = app.add_subcommand("run", "Run every run of a config's sweep into one HDF5 file");
  run->add_option("config", config_path, "YAML config")->required()->check(CLI::ExistingFile);
  run->add_option("overrides", overrides, "dotted-key overrides, e.g. method.bits=2");
  run->add_flag("--dry-run", run_options.dry_run, "print the expanded runs and exit");
  run->add_flag("--resume", run_options.resume, "complete an existing results file; finished runs are skipped");
  run->add_option("--shard", shard_text, "run only shard i of N (i/N, 0-based)");
  run->add_option("--out", run_options.output, "results file (default: the config's output)");
  run->add_flag("--print-output", print_output, "print the results file path on stdout at the end");
  bool random_weights = false;
  run->add_flag("--random-weights", random_weights,
                "build the model at its config.json size with random weights (latency/memory only; flagged in HDF5)");
  std::string devices_text;
  run->add_option("--devices", devices_text,
                  "one worker per device (e.g. 0,1,2,3): shards run in parallel, then merge into --out")
      ->excludes("--shard")
      ->excludes("--dry-run");

  std::string validate_path;
  std::vector<std::string> validate_overrides;
  auto* validate = app.add_subcommand("validate", "Check a config and its sweep without running anything");
  validate->add_option("config", validate_path, "YAML config")->required()->check(CLI::ExistingFile);
  validate->add_option("overrides", validate_overrides, "dotted-key overrides");

  std::string list_what;
  auto* list = app.add_subcommand("list", "List registered methods, models, datasets or experiments");
  list->add_option("what", list_what, "methods|models|datasets|experiments")
      ->required()
      ->check(CLI::IsMember({"methods", "models", "datasets", "experiments", "method", "model", "dataset",
                             "experiment"}));

  std::string show_path;
  auto* show = app.add_subcommand("show", "Print a results file as a table of runs and headline metrics");
  show->add_option("results", show_path, "HDF5 results file")->required()->check(CLI::ExistingFile);

  std::vector<std::string> merge_inputs;
  std::string merge_output;
  bool merge_union = false;
  auto* merge = app.add_subcommand("merge", "Combine the shard files of one sweep (or with --union, of several) into one file");
  merge->add_option("inputs", merge_inputs, "shard result files")->required()->check(CLI::ExistingFile);
  merge->add_option("-o,--out", merge_output, "merged results file")->required();
  merge->add_flag("--union", merge_union,
                  "combine files of different sweeps (e.g. a grown grid run elsewhere); refuses only a run id "
                  "present twice with different configs");

  std::string synth_out;
  long long synth_seed = 0;
  std::vector<std::string> synth_settings;
  auto* synth = app.add_subcommand("synth", "Write the synthetic video-QA benchmark in MVBench's layout");
  synth->add_option("--out", synth_out, "output folder")->required();
  synth->add_option("--seed", synth_seed, "random seed (same seed, same benchmark)");
  synth->add_option("settings", synth_settings, "generator parameters as key=value");
  synth->footer(wq::synth_parameter_help());

  wq::SlurmRequest slurm_request;
  auto* slurm = app.add_subcommand("slurm", "Write Slurm job-array scripts that run a sweep's shards, then merge");
  slurm->add_option("config", slurm_request.config_path, "YAML config")->required()->check(CLI::ExistingFile);
  slurm->add_option("overrides", slurm_request.overrides, "dotted-key overrides");
  slurm->add_option("--array", slurm_request.array_tasks, "number of array tasks (shards)")
      ->required()
      ->check(CLI::Range(1, 100000));
  slurm->add_option("--out", slurm_request.output, "merged results file (default: the config's output)");
  slurm->add_option("--partition", slurm_request.partition, "Slurm partition");
  slurm->add_option("--gpus-per-task", slurm_request.gpus_per_task, "GPUs per array task (0: none)")
      ->capture_default_str();
  slurm->add_option("--time", slurm_request.time_limit, "time limit per task, HH:MM:SS");
  slurm->add_option("--script", slurm_request.script,
                    "array script path (default: <output dir>/slurm/<sweep>.sbatch)");

  wq::TrainProxyRequest proxy;
  auto* train_proxy = app.add_subcommand("train-proxy", "Train the proxy VLM on synthetic video-QA (configs/proxy/)");
  train_proxy->add_option("config", proxy.config_path, "YAML config")->required()->check(CLI::ExistingFile);
  train_proxy->add_option("--out", proxy.out, "checkpoint folder (default: the config's out)");
  train_proxy->add_option("--device", proxy.device, "cpu, cuda or cuda:N (default: the config's device)");
  train_proxy->add_flag("--resume", proxy.call.resume, "continue from the trainer state in the checkpoint folder");
  train_proxy->add_option("--time-limit-s", proxy.call.time_limit_s,
                          "stop this call after this many seconds of training (train.time_budget_s spans all calls)")
      ->check(CLI::NonNegativeNumber);
  train_proxy->add_option("--max-steps", proxy.call.max_steps, "stop this call after this many steps")
      ->check(CLI::NonNegativeNumber);

  CLI11_PARSE(app, argc, argv);

  try {
    if (*run) {
      if (random_weights) overrides.push_back("model.random_weights=true");
      run_options.overrides = overrides;
      run_options.argv.assign(argv, argv + argc);
      if (!shard_text.empty()) run_options.shard = wq::parse_shard(shard_text);
      if (!devices_text.empty()) {
        const auto outcome = wq::run_on_devices({config_path, overrides, wq::parse_device_list(devices_text),
                                                 run_options.resume, run_options.output,
                                                 wq::self_executable_path(argv[0])});
        std::fprintf(stderr, "%zu worker(s) failed; merged %zu run(s), %zu complete -> %s\n", outcome.workers_failed,
                     outcome.merge.runs, outcome.merge.complete, outcome.output.c_str());
        if (print_output) std::printf("%s\n", outcome.output.c_str());
        return outcome.workers_failed ? 1 : 0;
      }
      const auto outcome = wq::run_sweep(config_path, run_options);
      if (!run_options.dry_run)
        std::fprintf(stderr, "%zu complete, %zu partial, %zu skipped, %zu failed, %zu already done -> %s\n",
                     outcome.complete, outcome.partial, outcome.skipped, outcome.failed, outcome.already_done,
                     outcome.output.c_str());
      if (print_output) std::printf("%s\n", outcome.output.c_str());
      return outcome.failed || outcome.partial ? 1 : 0;
    }
    if (*validate) {
      const auto sweep = wq::load_sweep(validate_path, validate_overrides);
      std::printf("%s: valid, %zu run(s)\n", validate_path.c_str(), sweep.runs.size());
      for (const auto& skip : wq::foreseen_skips(sweep.runs)) std::printf("will be skipped: %s\n", skip.c_str());
      return 0;
    }
    if (*list) return wq::print_registry_listing(list_what) ? 0 : 1;
    if (*show) {
      std::fputs(wq::format_results_table(show_path).c_str(), stdout);
      return 0;
    }
    if (*train_proxy) {
      std::printf("%s\n", wq::run_train_proxy_command(proxy).c_str());
      return 0;
    }
    if (*synth) {
      std::printf("%s\n", wq::run_synth_command(synth_out, synth_seed, synth_settings).c_str());
      return 0;
    }
    if (*slurm) {
      const auto scripts = wq::make_slurm_scripts(slurm_request);
      wq::write_slurm_scripts(scripts);
      if (size_t(slurm_request.array_tasks) > scripts.runs)
        std::fprintf(stderr, "note: %d tasks for %zu run(s); tasks past %zu have nothing to do\n",
                     slurm_request.array_tasks, scripts.runs, scripts.runs);
      std::printf("%s\n%s\n%s\nsubmit with: bash %s\n", scripts.array_path.c_str(), scripts.merge_path.c_str(),
                  scripts.submit_path.c_str(), scripts.submit_path.c_str());
      return 0;
    }
    if (*merge) {
      const auto summary = wq::merge_results(merge_inputs, merge_output,
                                             merge_union ? wq::MergeMode::UnionOfSweeps : wq::MergeMode::ShardsOfOneSweep);
      std::printf("%s: %zu run(s), %zu complete, %zu duplicate(s) resolved\n", merge_output.c_str(),
                  summary.runs, summary.complete, summary.duplicates);
      return 0;
    }
  } catch (const wq::ConfigError& error) {
    return report_config_error(error);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "error: %s\n", error.what());
    return 1;
  }
  return 0;
}
