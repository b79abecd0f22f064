#include "core/results/run_group_io.h"

#include <stdexcept>

#include "core/results/h5_util.h"
#include "core/results/sample_table_io.h"

namespace wq::h5 {

namespace {

// Attribute names on the run group that belong to the RunRecord itself; any other string
// attribute there (e.g. the writer stamp) is left out of the record.
constexpr const char* kStatus = "status";
constexpr const char* kName = "name";
constexpr const char* kMethod = "method";
constexpr const char* kExperiment = "experiment";
constexpr const char* kConfigYaml = "config_yaml";
constexpr const char* kError = "error";
constexpr const char* kStartedAt = "started_at";
constexpr const char* kFinishedAt = "finished_at";

void check_link_name(const std::string& what, const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    throw std::invalid_argument(what + " '" + name +
                                "' cannot be an HDF5 name (empty, '.', '..' or contains '/')");
  }
}

void write_array(const H5::Group& arrays, const std::string& name, const std::vector<double>& values) {
  check_link_name("array name", name);
  const hsize_t count = values.size();
  H5::DataSet dataset =
      arrays.createDataSet(name, H5::PredType::IEEE_F64LE, H5::DataSpace(1, &count));
  if (count > 0) dataset.write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

std::vector<double> read_array(const H5::DataSet& dataset) {
  const hssize_t count = dataset.getSpace().getSimpleExtentNpoints();
  std::vector<double> values(static_cast<size_t>(count));
  if (count > 0) dataset.read(values.data(), H5::PredType::NATIVE_DOUBLE);
  return values;
}

std::string string_or_empty(const H5::H5Object& object, const char* name) {
  return read_string(object, name).value_or("");
}

}  // namespace

void check_run_id(const std::string& run_id) { check_link_name("run id", run_id); }

void write_run_group(const H5::Group& runs, const RunRecord& record,
                     const std::map<std::string, std::string>& stamp) {
  check_run_id(record.run_id);
  H5::Group run = runs.createGroup(record.run_id);
  write_string(run, kStatus, run_status_name(record.status));
  write_string(run, kName, record.name);
  write_string(run, kMethod, record.method);
  write_string(run, kExperiment, record.experiment);
  write_string(run, kConfigYaml, record.config_yaml);
  write_string(run, kError, record.error);
  write_string(run, kStartedAt, record.started_at);
  write_string(run, kFinishedAt, record.finished_at);
  for (const auto& [name, value] : stamp) write_string(run, name, value);

  H5::Group config = run.createGroup("config");
  for (const auto& [key, value] : record.config_flat) write_string(config, key, value);

  H5::Group metrics = run.createGroup("metrics");
  for (const auto& [name, value] : record.metrics) write_double(metrics, name, value);
  for (const auto& [name, text] : record.metric_notes) {
    if (record.metrics.count(name) != 0) {
      throw std::invalid_argument("metric '" + name + "' is both a number and a note");
    }
    write_string(metrics, name, text);
  }

  write_sample_table(run, "samples", record.samples);

  if (!record.arrays.empty()) {
    H5::Group arrays = run.createGroup("arrays");
    for (const auto& [name, values] : record.arrays) write_array(arrays, name, values);
  }
}

RunRecord read_run_group(const H5::Group& run, const std::string& run_id, ReadDepth depth) {
  RunRecord record;
  record.run_id = run_id;
  record.status = parse_run_status(string_or_empty(run, kStatus));
  record.name = string_or_empty(run, kName);
  record.method = string_or_empty(run, kMethod);
  record.experiment = string_or_empty(run, kExperiment);
  record.config_yaml = string_or_empty(run, kConfigYaml);
  record.error = string_or_empty(run, kError);
  record.started_at = string_or_empty(run, kStartedAt);
  record.finished_at = string_or_empty(run, kFinishedAt);

  if (run.nameExists("config")) {
    const H5::Group config = run.openGroup("config");
    for (const auto& key : attribute_names(config)) {
      record.config_flat[key] = read_string(config, key).value_or("");
    }
  }
  if (run.nameExists("metrics")) {
    const H5::Group metrics = run.openGroup("metrics");
    for (const auto& name : attribute_names(metrics)) {
      const AttributeValue value = read_attribute(metrics, name);
      if (const auto* number = std::get_if<double>(&value)) {
        record.metrics[name] = *number;
      } else if (const auto* count = std::get_if<int64_t>(&value)) {
        record.metrics[name] = static_cast<double>(*count);  // written by another tool
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        record.metric_notes[name] = *text;
      }
    }
  }
  if (depth == ReadDepth::Summary) return record;

  if (run.nameExists("samples")) record.samples = read_sample_table(run.openDataSet("samples"));
  if (run.nameExists("arrays")) {
    const H5::Group arrays = run.openGroup("arrays");
    for (const auto& name : link_names(arrays)) record.arrays[name] = read_array(arrays.openDataSet(name));
  }
  return record;
}

}  // namespace wq::h5
