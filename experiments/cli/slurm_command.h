// `wq slurm CONFIG --array N`: Slurm job scripts that run a sweep as an N-task job array and
// merge the shards afterwards. The project writes the scripts; Slurm does the scheduling.
//
//   <stem>.sbatch        array job: task t runs `wq run CONFIG --shard t/N --resume --out OUT`
//   <stem>-merge.sbatch  `wq merge` of the N shard files (and OUT, if it exists) into OUT
//   <stem>-submit.sh     sbatch --parsable the array, then the merge with
//                        --dependency=afterok:<array job id>
//   logs/                Slurm's per-task output (Slurm does not create missing folders)
//
// Every path in the scripts is absolute (config, wq executable, output, working directory),
// so the scripts run from any node that sees the same file system.
#pragma once

#include <string>
#include <vector>

namespace wq {

struct SlurmRequest {
  std::string config_path;
  std::vector<std::string> overrides;
  int array_tasks = 1;          // N
  std::string output;           // --out; empty: the config's output
  std::string partition;        // empty: the cluster's default partition
  int gpus_per_task = 1;        // 0: no GPU request (CPU-only sweeps)
  std::string time_limit;       // Slurm time (HH:MM:SS, MM:SS, D-HH:MM:SS); empty: the partition's default
  std::string script;           // array script path; empty: <output dir>/slurm/<sweep name>.sbatch
  std::string wq_executable;    // empty: this process's own executable
  std::string working_dir;      // empty: the current directory
};

struct SlurmScripts {
  std::string array_path, merge_path, submit_path, log_dir;
  std::string array_text, merge_text, submit_text;
  size_t runs = 0;  // runs in the sweep (tasks beyond this have nothing to do)
};

// Validates the config (ConfigError) and the options (std::invalid_argument) and returns
// the three scripts' paths and text without touching the file system.
SlurmScripts make_slurm_scripts(const SlurmRequest& request);
// Writes the scripts (executable) and creates the log folder.
void write_slurm_scripts(const SlurmScripts& scripts);

// POSIX shell single-quoting: abc -> 'abc', it's -> 'it'\''s'.
std::string shell_quote(const std::string& text);

}  // namespace wq
