#include "core/results/run_record.h"

#include <stdexcept>

namespace wq {

namespace {

size_t column_size(const SampleTable::Column& column) {
  return std::visit([](const auto& values) { return values.size(); }, column);
}

const char* cell_type_name(const SampleTable::Cell& cell) {
  switch (cell.index()) {
    case 0: return "int64";
    case 1: return "float64";
    default: return "string";
  }
}

const char* column_type_name(const SampleTable::Column& column) {
  switch (column.index()) {
    case 0: return "int64";
    case 1: return "float64";
    default: return "string";
  }
}

SampleTable::Column empty_column_for(const SampleTable::Cell& cell) {
  switch (cell.index()) {
    case 0: return std::vector<int64_t>{};
    case 1: return std::vector<double>{};
    default: return std::vector<std::string>{};
  }
}

// Appends `cell` to `column`; an int64 goes into a float column because metrics code often
// computes a count where the column holds a mean, and the widening loses nothing below 2^53.
void append_cell(const std::string& name, SampleTable::Column& column,
                 const SampleTable::Cell& cell) {
  if (auto* ints = std::get_if<std::vector<int64_t>>(&column)) {
    if (const auto* value = std::get_if<int64_t>(&cell)) {
      ints->push_back(*value);
      return;
    }
  } else if (auto* floats = std::get_if<std::vector<double>>(&column)) {
    if (const auto* value = std::get_if<double>(&cell)) {
      floats->push_back(*value);
      return;
    }
    if (const auto* value = std::get_if<int64_t>(&cell)) {
      floats->push_back(static_cast<double>(*value));
      return;
    }
  } else if (auto* strings = std::get_if<std::vector<std::string>>(&column)) {
    if (const auto* value = std::get_if<std::string>(&cell)) {
      strings->push_back(*value);
      return;
    }
  }
  throw std::invalid_argument("SampleTable: column '" + name + "' holds " +
                              column_type_name(column) + " but the row gives " +
                              cell_type_name(cell));
}

}  // namespace

void SampleTable::declare(const std::string& name, Column empty_column) {
  if (name.empty()) throw std::invalid_argument("SampleTable: empty column name");
  if (columns_.count(name) != 0) {
    throw std::invalid_argument("SampleTable: column '" + name + "' declared twice");
  }
  if (rows() != 0) {
    throw std::invalid_argument("SampleTable: column '" + name +
                                "' declared after rows were added");
  }
  names_.push_back(name);
  columns_.emplace(name, std::move(empty_column));
}

void SampleTable::add_int_column(const std::string& name) { declare(name, std::vector<int64_t>{}); }
void SampleTable::add_float_column(const std::string& name) { declare(name, std::vector<double>{}); }
void SampleTable::add_string_column(const std::string& name) {
  declare(name, std::vector<std::string>{});
}

void SampleTable::add_row(const std::map<std::string, Cell>& row) {
  // Before the first row, names not declared yet become columns typed by their cell (in the
  // map's order, after the declared ones); afterwards the set of columns is fixed.
  if (rows() == 0) {
    for (const auto& [name, cell] : row) {
      if (columns_.count(name) == 0) declare(name, empty_column_for(cell));
    }
  }
  for (const auto& [name, cell] : row) {
    if (columns_.count(name) == 0) {
      throw std::invalid_argument("SampleTable: unknown column '" + name + "'");
    }
  }
  for (const auto& name : names_) {
    if (row.count(name) == 0) {
      throw std::invalid_argument("SampleTable: row lacks column '" + name + "'");
    }
  }
  // Check every type before appending anything so that a bad row leaves the table unchanged.
  for (const auto& name : names_) {
    const Column& column = columns_.at(name);
    const Cell& cell = row.at(name);
    const bool fits = column.index() == cell.index() || (column.index() == 1 && cell.index() == 0);
    if (!fits) {
      throw std::invalid_argument("SampleTable: column '" + name + "' holds " +
                                  column_type_name(column) + " but the row gives " +
                                  cell_type_name(cell));
    }
  }
  for (const auto& name : names_) append_cell(name, columns_.at(name), row.at(name));
}

void SampleTable::add_column(const std::string& name, Column values) {
  if (!names_.empty() && column_size(values) != rows()) {
    throw std::invalid_argument("SampleTable: column '" + name + "' has " +
                                std::to_string(column_size(values)) + " rows, the table " +
                                std::to_string(rows()));
  }
  if (name.empty()) throw std::invalid_argument("SampleTable: empty column name");
  if (columns_.count(name) != 0) {
    throw std::invalid_argument("SampleTable: column '" + name + "' declared twice");
  }
  names_.push_back(name);
  columns_.emplace(name, std::move(values));
}

size_t SampleTable::rows() const {
  return names_.empty() ? 0 : column_size(columns_.at(names_.front()));
}

const SampleTable::Column& SampleTable::column(const std::string& name) const {
  auto it = columns_.find(name);
  if (it == columns_.end()) throw std::out_of_range("SampleTable: no column '" + name + "'");
  return it->second;
}

bool SampleTable::operator==(const SampleTable& other) const {
  return names_ == other.names_ && columns_ == other.columns_;
}

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::Running: return "running";
    case RunStatus::Complete: return "complete";
    case RunStatus::Failed: return "failed";
    case RunStatus::Skipped: return "skipped";
    case RunStatus::Partial: return "partial";
  }
  return "running";
}

RunStatus parse_run_status(const std::string& text) {
  if (text == "running") return RunStatus::Running;
  if (text == "complete") return RunStatus::Complete;
  if (text == "failed") return RunStatus::Failed;
  if (text == "skipped") return RunStatus::Skipped;
  if (text == "partial") return RunStatus::Partial;
  throw std::invalid_argument("unknown run status '" + text +
                              "' (expected complete, partial, skipped, failed or running)");
}

}  // namespace wq
