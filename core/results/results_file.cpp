#include "core/results/results_file.h"

#include <cstdio>
#include <set>
#include <stdexcept>

#include "core/results/atomic_replace.h"
#include "core/results/h5_util.h"
#include "core/results/provenance_io.h"
#include "core/results/run_group_io.h"

namespace wq {

namespace {

constexpr const char* kRuns = "runs";

// Writes a brand-new results file at `path` through a temporary file and a rename, so that
// even the first version of the file appears complete or not at all.
void create_results_file(const std::string& path, const Provenance& provenance) {
  const std::string temp = temp_path_for(path);
  try {
    {
      H5::H5File file = h5::create_file(temp);
      h5::write_provenance(file, provenance);
      h5::create_ordered_group(file, kRuns);
      file.close();
    }
    durable_replace(temp, path);
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
}

// `stored_ids`: the runs the file holds; `sweep_ids`: the runs of the sweep opening it.
void check_same_sweep(const std::string& path, const Provenance& stored, const Provenance& given,
                      const std::vector<std::string>& stored_ids, const std::vector<std::string>& sweep_ids) {
  auto differ = [](const std::string& a, const std::string& b) {
    return !a.empty() && !b.empty() && a != b;
  };
  if (differ(stored.sweep_name, given.sweep_name)) {
    throw std::runtime_error("results file '" + path + "' belongs to sweep '" + stored.sweep_name +
                             "', not '" + given.sweep_name + "'");
  }
  if (!differ(stored.sweep_fingerprint, given.sweep_fingerprint)) return;
  // A sweep that grew (a value added to a grid, a variant added) extends its file.
  const std::set<std::string> sweep(sweep_ids.begin(), sweep_ids.end());
  size_t foreign = 0;
  std::string example;
  for (const auto& id : stored_ids) {
    if (sweep.count(id)) continue;
    if (foreign++ == 0) example = id;
  }
  if (foreign == 0 && !sweep_ids.empty()) return;
  throw std::runtime_error("results file '" + path + "' holds sweep '" + stored.sweep_name +
                           "' with another list of runs (sweep_fingerprint " + stored.sweep_fingerprint + " != " +
                           given.sweep_fingerprint + "; " + std::to_string(foreign) +
                           " of its runs are not in this sweep, e.g. run " + example +
                           "): write to a new file, or combine the two with wq merge --union");
}

H5::Group open_runs(const H5::H5File& file, const std::string& path) {
  if (!file.nameExists(kRuns)) {
    throw std::runtime_error("'" + path + "' is not a results file (no /runs group)");
  }
  return file.openGroup(kRuns);
}

}  // namespace

ResultsFile ResultsFile::open_or_create(const std::string& path, const Provenance& provenance,
                                        const std::vector<std::string>& sweep_run_ids) {
  ResultsFile results(path);
  results.writer_git_commit_ = provenance.git_commit;
  results.writer_host_ = provenance.host;
  bool created = false;
  {
    CommitLock lock(path);
    remove_stale_temps(path);
    if (!file_exists(path)) {
      Provenance initial = provenance;
      if (initial.created_at.empty()) initial.created_at = utc_now_iso8601();
      if (initial.updated_at.empty()) initial.updated_at = initial.created_at;
      h5::guarded("cannot create results file '" + path + "'",
                  [&] { create_results_file(path, initial); });
      created = true;
    }
  }
  if (!created) {
    std::vector<std::string> stored_ids;
    for (const auto& [id, status] : results.run_statuses()) stored_ids.push_back(id);
    check_same_sweep(path, results.provenance(), provenance, stored_ids, sweep_run_ids);
    results.update_provenance(provenance);
  }
  return results;
}

ResultsFile ResultsFile::open_existing(const std::string& path) {
  if (!file_exists(path)) throw std::runtime_error("no results file '" + path + "'");
  ResultsFile results(path);
  h5::guarded("cannot open results file '" + path + "'", [&] {
    const H5::H5File file = h5::open_file(path, false);
    open_runs(file, path);
  });
  return results;
}

void ResultsFile::commit(const std::function<void(H5::H5File&)>& edit) {
  CommitLock lock(path_);
  const std::string temp = temp_path_for(path_);
  try {
    copy_file_contents(path_, temp);
    h5::guarded("cannot write results file '" + path_ + "'", [&] {
      H5::H5File file = h5::open_file(temp, true);
      edit(file);
      h5::write_string(file, "updated_at", utc_now_iso8601());
      file.close();
    });
    durable_replace(temp, path_);
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
}

void ResultsFile::commit_run(const RunRecord& record) {
  h5::check_run_id(record.run_id);
  const std::map<std::string, std::string> stamp = {{"writer_git_commit", writer_git_commit_},
                                                    {"writer_host", writer_host_},
                                                    {"committed_at", utc_now_iso8601()}};
  commit([&](H5::H5File& file) {
    const H5::Group runs = open_runs(file, path_);
    // Unlinking leaves the old run's bytes as dead space; `wq merge` of the file alone
    // writes a compact copy.
    if (runs.nameExists(record.run_id)) runs.unlink(record.run_id);
    h5::write_run_group(runs, record, stamp);
  });
}

std::vector<RunRecord> ResultsFile::read_runs(ReadDepth depth) const {
  return h5::guarded("cannot read results file '" + path_ + "'", [&] {
    const H5::H5File file = h5::open_file(path_, false);
    const H5::Group runs = open_runs(file, path_);
    std::vector<RunRecord> records;
    for (const auto& id : h5::link_names(runs)) {
      records.push_back(h5::read_run_group(runs.openGroup(id), id, depth));
    }
    return records;
  });
}

std::optional<RunRecord> ResultsFile::read_run(const std::string& run_id, ReadDepth depth) const {
  h5::check_run_id(run_id);
  return h5::guarded("cannot read results file '" + path_ + "'", [&]() -> std::optional<RunRecord> {
    const H5::H5File file = h5::open_file(path_, false);
    const H5::Group runs = open_runs(file, path_);
    if (!runs.nameExists(run_id)) return std::nullopt;
    return h5::read_run_group(runs.openGroup(run_id), run_id, depth);
  });
}

std::optional<RunStatus> ResultsFile::run_status(const std::string& run_id) const {
  h5::check_run_id(run_id);
  return h5::guarded("cannot read results file '" + path_ + "'", [&]() -> std::optional<RunStatus> {
    const H5::H5File file = h5::open_file(path_, false);
    const H5::Group runs = open_runs(file, path_);
    if (!runs.nameExists(run_id)) return std::nullopt;
    return parse_run_status(h5::read_string(runs.openGroup(run_id), "status").value_or(""));
  });
}

std::map<std::string, RunStatus> ResultsFile::run_statuses() const {
  return h5::guarded("cannot read results file '" + path_ + "'", [&] {
    const H5::H5File file = h5::open_file(path_, false);
    const H5::Group runs = open_runs(file, path_);
    std::map<std::string, RunStatus> statuses;
    for (const auto& id : h5::link_names(runs)) {
      statuses[id] = parse_run_status(h5::read_string(runs.openGroup(id), "status").value_or(""));
    }
    return statuses;
  });
}

Provenance ResultsFile::provenance() const {
  return h5::guarded("cannot read results file '" + path_ + "'", [&] {
    const H5::H5File file = h5::open_file(path_, false);
    return h5::read_provenance(file);
  });
}

void ResultsFile::update_provenance(const Provenance& provenance) {
  commit([&](H5::H5File& file) {
    Provenance updated = provenance;
    updated.created_at = h5::read_string(file, "created_at").value_or(provenance.created_at);
    // Attributes a newer writer added and this one does not know are kept as they are.
    h5::write_provenance(file, updated);
  });
  writer_git_commit_ = provenance.git_commit;
  writer_host_ = provenance.host;
}

}  // namespace wq
