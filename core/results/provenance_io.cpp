#include "core/results/provenance_io.h"

#include <set>

#include "core/results/h5_util.h"

namespace wq::h5 {

namespace {

const std::set<std::string>& known_names() {
  static const std::set<std::string> names = {
      "schema_version", "sweep_name",    "sweep_fingerprint", "git_commit", "git_dirty",
      "host",           "cpu_model",     "gpu_name",          "torch_version",
      "cuda_version",   "wq_version",    "argv",              "created_at", "updated_at",
      "seed"};
  return names;
}

}  // namespace

void write_provenance(H5::H5File& file, const Provenance& provenance) {
  write_int(file, "schema_version", provenance.schema_version);
  write_string(file, "sweep_name", provenance.sweep_name);
  write_string(file, "sweep_fingerprint", provenance.sweep_fingerprint);
  write_string(file, "git_commit", provenance.git_commit);
  // HDF5 has no boolean type; 0/1 reads naturally in every language.
  write_int(file, "git_dirty", provenance.git_dirty ? 1 : 0);
  write_string(file, "host", provenance.host);
  write_string(file, "cpu_model", provenance.cpu_model);
  write_string(file, "gpu_name", provenance.gpu_name);
  write_string(file, "torch_version", provenance.torch_version);
  write_string(file, "cuda_version", provenance.cuda_version);
  write_string(file, "wq_version", provenance.wq_version);
  write_string_list(file, "argv", provenance.argv);
  write_string(file, "created_at", provenance.created_at);
  write_string(file, "updated_at", provenance.updated_at);
  write_int(file, "seed", provenance.seed);
  for (const auto& [name, value] : provenance.extra) {
    if (known_names().count(name) != 0) {
      throw std::invalid_argument("provenance extra '" + name + "' shadows a fixed attribute");
    }
    write_string(file, name, value);
  }
}

Provenance read_provenance(const H5::H5File& file) {
  Provenance provenance;
  auto text = [&](const char* name, std::string& field) {
    if (auto value = read_string(file, name)) field = *value;
  };
  auto integer = [&](const char* name) -> std::optional<int64_t> {
    if (auto value = read_number(file, name)) return static_cast<int64_t>(*value);
    return std::nullopt;
  };
  provenance.schema_version = integer("schema_version").value_or(0);
  text("sweep_name", provenance.sweep_name);
  text("sweep_fingerprint", provenance.sweep_fingerprint);
  text("git_commit", provenance.git_commit);
  provenance.git_dirty = integer("git_dirty").value_or(0) != 0;
  text("host", provenance.host);
  text("cpu_model", provenance.cpu_model);
  text("gpu_name", provenance.gpu_name);
  text("torch_version", provenance.torch_version);
  text("cuda_version", provenance.cuda_version);
  text("wq_version", provenance.wq_version);
  if (file.attrExists("argv")) {
    const AttributeValue argv = read_attribute(file, "argv");
    if (const auto* list = std::get_if<std::vector<std::string>>(&argv)) provenance.argv = *list;
    if (const auto* single = std::get_if<std::string>(&argv)) provenance.argv = {*single};
  }
  text("created_at", provenance.created_at);
  text("updated_at", provenance.updated_at);
  provenance.seed = integer("seed").value_or(0);
  for (const auto& name : attribute_names(file)) {
    if (known_names().count(name) != 0) continue;
    const AttributeValue value = read_attribute(file, name);
    if (const auto* single = std::get_if<std::string>(&value)) provenance.extra[name] = *single;
  }
  return provenance;
}

}  // namespace wq::h5
