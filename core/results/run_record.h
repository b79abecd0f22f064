// In-memory form of one run as stored in the results HDF5 file (docs/results-schema.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace wq {

// A column-oriented table with int64, float64 or string columns, stored as one HDF5
// compound dataset (`/runs/<id>/samples`). All columns have the same length.
class SampleTable {
 public:
  using Column = std::variant<std::vector<int64_t>, std::vector<double>, std::vector<std::string>>;
  using Cell = std::variant<int64_t, double, std::string>;

  // Declares the columns; the type of each column comes from the first row added unless
  // declared here. Order is kept. Declaring a name twice, or after rows exist, throws.
  void add_int_column(const std::string& name);
  void add_float_column(const std::string& name);
  void add_string_column(const std::string& name);

  // Appends one row; `row` maps column name -> value. Unknown names and missing columns throw.
  // An int64 cell is accepted by a float column (widened); every other type mismatch throws.
  void add_row(const std::map<std::string, Cell>& row);

  // Adds a whole column at once (used by the HDF5 reader). Its length must equal rows()
  // unless the table has no columns yet.
  void add_column(const std::string& name, Column values);

  size_t rows() const;
  const std::vector<std::string>& names() const { return names_; }
  const Column& column(const std::string& name) const;
  bool has_column(const std::string& name) const { return columns_.count(name) != 0; }
  bool empty() const { return names_.empty(); }

  // Same column names in the same order, same types and same values.
  bool operator==(const SampleTable& other) const;
  bool operator!=(const SampleTable& other) const { return !(*this == other); }

 private:
  void declare(const std::string& name, Column empty_column);

  std::vector<std::string> names_;
  std::map<std::string, Column> columns_;
};

// skipped: the run could not be done as configured (a budget below what its method can reach)
// and computed nothing; `error` says why. partial: the run finished but more of its samples
// failed than its config allows (dataset.max_failed_samples); its numbers are kept, `error`
// says how many failed and the first reason.
enum class RunStatus { Running, Complete, Failed, Skipped, Partial };
const char* run_status_name(RunStatus status);
RunStatus parse_run_status(const std::string& text);

struct RunRecord {
  std::string run_id;       // stable hash of the resolved config
  std::string name;         // readable name
  std::string method;       // method.name
  std::string experiment;   // experiment.kind
  RunStatus status = RunStatus::Running;
  std::string error;        // set when status is Failed, Skipped or Partial
  std::string config_yaml;  // resolved config as YAML text
  std::map<std::string, std::string> config_flat;  // dotted key -> scalar text
  std::string started_at, finished_at;             // ISO-8601 UTC
  SampleTable samples;                             // per-sample (or per-row) results
  std::map<std::string, double> metrics;           // accuracy, accuracy/<task>, latency, bytes, bits
  std::map<std::string, std::string> metric_notes; // string-valued metrics attributes
  // Extra float64 arrays kept under /runs/<id>/arrays/<name> (e.g. per-layer curves).
  std::map<std::string, std::vector<double>> arrays;
};

// How much of a stored run to read back.
enum class ReadDepth {
  Full,     // everything, samples and arrays included
  Summary,  // attributes, config and metrics only: what tables and status queries need
};

}  // namespace wq
