#include "core/results/merge_results.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>

#include "core/results/atomic_replace.h"
#include "core/results/h5_copy.h"
#include "core/results/h5_util.h"
#include "core/results/provenance.h"
#include "core/results/provenance_io.h"
#include "core/results/run_group_io.h"

namespace wq {

namespace {

struct Candidate {
  size_t input = 0;
  int rank = 0;  // status_rank
  std::string finished_at;
};

int status_rank(RunStatus status) {
  switch (status) {
    case RunStatus::Complete: return 4;
    case RunStatus::Partial: return 3;
    case RunStatus::Skipped: return 2;
    case RunStatus::Failed: return 1;
    case RunStatus::Running: return 0;
  }
  return 0;
}

bool better(const Candidate& challenger, const Candidate& holder) {
  if (challenger.rank != holder.rank) return challenger.rank > holder.rank;
  return challenger.finished_at > holder.finished_at;  // ISO-8601 UTC sorts as text
}

// Joins the distinct values in first-seen order: shards may run on different hosts.
std::string join_distinct(const std::vector<std::string>& values) {
  std::vector<std::string> distinct;
  for (const auto& value : values) {
    if (std::find(distinct.begin(), distinct.end(), value) == distinct.end()) distinct.push_back(value);
  }
  std::string joined;
  for (const auto& value : distinct) joined += (joined.empty() ? "" : "; ") + value;
  return joined;
}

Provenance merged_provenance(const std::vector<Provenance>& inputs) {
  Provenance merged = inputs.front();
  std::vector<std::string> hosts, cpus, gpus, commits;
  for (const auto& input : inputs) {
    hosts.push_back(input.host);
    cpus.push_back(input.cpu_model);
    gpus.push_back(input.gpu_name);
    commits.push_back(input.git_commit);
    merged.git_dirty = merged.git_dirty || input.git_dirty;
    if (!input.created_at.empty() &&
        (merged.created_at.empty() || input.created_at < merged.created_at)) {
      merged.created_at = input.created_at;
    }
  }
  merged.host = join_distinct(hosts);
  merged.cpu_model = join_distinct(cpus);
  merged.gpu_name = join_distinct(gpus);
  merged.git_commit = join_distinct(commits);
  merged.updated_at = utc_now_iso8601();
  return merged;
}

void check_inputs_agree(const std::vector<std::string>& inputs,
                        const std::vector<Provenance>& provenances) {
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Provenance& first = provenances.front();
    const Provenance& other = provenances[i];
    if (other.sweep_name != first.sweep_name) {
      throw std::runtime_error("cannot merge: '" + inputs[i] + "' is sweep '" + other.sweep_name +
                               "' but '" + inputs[0] + "' is sweep '" + first.sweep_name + "'");
    }
    if (other.sweep_fingerprint != first.sweep_fingerprint) {
      throw std::runtime_error("cannot merge: '" + inputs[i] + "' and '" + inputs[0] +
                               "' come from different versions of sweep '" + first.sweep_name +
                               "' (sweep_fingerprint " + other.sweep_fingerprint + " != " +
                               first.sweep_fingerprint + ")");
    }
  }
}

// --union: the same run id in two files must be the same run. Ids already hash the config
// (less name, description and output) and the checkpoint; what can still differ is where the
// files lived (absolute paths) and, in a file a future version wrote, its config spelling.
void check_same_run(const std::string& id, const std::string& a_file, const H5::Group& a,
                    const std::string& b_file, const H5::Group& b) {
  const RunRecord first = h5::read_run_group(a, id, ReadDepth::Summary);
  const RunRecord second = h5::read_run_group(b, id, ReadDepth::Summary);
  auto differs = [](const std::string& key, const std::string& x, const std::string& y) {
    if (key == "name" || key == "description" || key == "output") return false;
    const bool both_absolute_paths = !x.empty() && !y.empty() && x[0] == '/' && y[0] == '/';
    return x != y && !both_absolute_paths;
  };
  std::map<std::string, std::string> keys = first.config_flat;
  keys.insert(second.config_flat.begin(), second.config_flat.end());
  for (const auto& [key, unused] : keys) {
    const auto x = first.config_flat.find(key), y = second.config_flat.find(key);
    const std::string xs = x == first.config_flat.end() ? "(absent)" : x->second;
    const std::string ys = y == second.config_flat.end() ? "(absent)" : y->second;
    if (differs(key, xs, ys))
      throw std::runtime_error("cannot merge: run " + id + " is in '" + a_file + "' and '" + b_file +
                               "' with different configs (" + key + ": '" + xs + "' vs '" + ys + "')");
  }
}

}  // namespace

MergeSummary merge_results(const std::vector<std::string>& inputs, const std::string& output, MergeMode mode) {
  if (inputs.empty()) throw std::invalid_argument("merge_results: no input files");
  if (file_exists(output) && std::find(inputs.begin(), inputs.end(), output) == inputs.end()) {
    throw std::runtime_error("cannot merge into '" + output +
                             "': it exists and is not an input (list it to merge into it)");
  }
  return h5::guarded("cannot merge results into '" + output + "'", [&] {
    std::vector<H5::H5File> files;
    std::vector<Provenance> provenances;
    for (const auto& input : inputs) {
      files.push_back(h5::open_file(input, false));
      if (!files.back().nameExists("runs")) {
        throw std::runtime_error("'" + input + "' is not a results file (no /runs group)");
      }
      provenances.push_back(h5::read_provenance(files.back()));
    }
    if (mode == MergeMode::ShardsOfOneSweep) check_inputs_agree(inputs, provenances);

    // Pick one source per run id, keeping the order in which ids first appear.
    MergeSummary summary;
    std::vector<std::string> order;
    std::map<std::string, Candidate> chosen;
    for (size_t i = 0; i < files.size(); ++i) {
      const H5::Group runs = files[i].openGroup("runs");
      for (const auto& id : h5::link_names(runs)) {
        const H5::Group run = runs.openGroup(id);
        Candidate candidate{i, status_rank(parse_run_status(h5::read_string(run, "status").value_or(""))),
                            h5::read_string(run, "finished_at").value_or("")};
        auto it = chosen.find(id);
        if (it == chosen.end()) {
          order.push_back(id);
          chosen.emplace(id, candidate);
        } else {
          ++summary.duplicates;
          if (mode == MergeMode::UnionOfSweeps)
            check_same_run(id, inputs[it->second.input], files[it->second.input].openGroup("runs").openGroup(id),
                           inputs[i], run);
          if (better(candidate, it->second)) it->second = candidate;
        }
      }
    }

    CommitLock lock(output);
    const std::string temp = temp_path_for(output);
    try {
      {
        H5::H5File merged = h5::create_file(temp);
        Provenance provenance = merged_provenance(provenances);
        if (mode == MergeMode::UnionOfSweeps) {
          std::vector<std::string> names;
          for (const auto& input : provenances) names.push_back(input.sweep_name);
          provenance.sweep_name = join_distinct(names);
          provenance.sweep_fingerprint = sweep_fingerprint(order);  // the union's own list of runs
        }
        h5::write_provenance(merged, provenance);
        h5::write_string_list(merged, "merged_from", inputs);
        H5::Group runs = h5::create_ordered_group(merged, "runs");
        for (const auto& id : order) {
          const Candidate& source = chosen.at(id);
          H5::Group copy = runs.createGroup(id);
          h5::copy_group_contents(files[source.input].openGroup("runs").openGroup(id), copy);
          ++summary.runs;
          if (source.rank == status_rank(RunStatus::Complete)) ++summary.complete;
        }
        merged.close();
      }
      for (auto& file : files) file.close();
      durable_replace(temp, output);
    } catch (...) {
      std::remove(temp.c_str());
      throw;
    }
    return summary;
  });
}

}  // namespace wq
