#include "core/results/sample_table_io.h"

#include <cstring>
#include <stdexcept>

#include "core/results/h5_util.h"

namespace wq::h5 {

namespace {

// Every member takes 8 bytes in the in-memory row (int64, double or char*), which keeps the
// offsets trivial and every member aligned.
constexpr size_t kSlot = 8;
static_assert(sizeof(int64_t) == kSlot && sizeof(double) == kSlot && sizeof(char*) == kSlot,
              "sample rows assume 8-byte int64, double and pointers");

enum class Kind { Int, Float, String };

Kind kind_of(const SampleTable::Column& column) {
  return column.index() == 0 ? Kind::Int : column.index() == 1 ? Kind::Float : Kind::String;
}

H5::DataType memory_type(Kind kind) {
  switch (kind) {
    case Kind::Int: return H5::PredType::NATIVE_INT64;
    case Kind::Float: return H5::PredType::NATIVE_DOUBLE;
    case Kind::String: return utf8_string_type();
  }
  return H5::PredType::NATIVE_INT64;
}

H5::DataType file_type(Kind kind) {
  switch (kind) {
    case Kind::Int: return H5::PredType::STD_I64LE;
    case Kind::Float: return H5::PredType::IEEE_F64LE;
    case Kind::String: return utf8_string_type();
  }
  return H5::PredType::STD_I64LE;
}

H5::CompType row_type(const std::vector<std::string>& names, const std::vector<Kind>& kinds,
                      bool for_file) {
  H5::CompType type(kSlot * names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    type.insertMember(names[i], i * kSlot, for_file ? file_type(kinds[i]) : memory_type(kinds[i]));
  }
  return type;
}

}  // namespace

void write_sample_table(const H5::Group& parent, const std::string& name, const SampleTable& table) {
  if (table.empty()) return;
  const auto& names = table.names();
  std::vector<Kind> kinds;
  for (const auto& column_name : names) kinds.push_back(kind_of(table.column(column_name)));
  const hsize_t rows = table.rows();
  const H5::DataSpace space(1, &rows);
  H5::DataSet dataset = parent.createDataSet(name, row_type(names, kinds, true), space);
  if (rows == 0) return;

  std::vector<unsigned char> buffer(rows * kSlot * names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    const SampleTable::Column& column = table.column(names[c]);
    for (size_t r = 0; r < rows; ++r) {
      unsigned char* slot = buffer.data() + (r * names.size() + c) * kSlot;
      if (const auto* ints = std::get_if<std::vector<int64_t>>(&column)) {
        std::memcpy(slot, &(*ints)[r], kSlot);
      } else if (const auto* floats = std::get_if<std::vector<double>>(&column)) {
        std::memcpy(slot, &(*floats)[r], kSlot);
      } else {
        // HDF5 only reads through these pointers during write(); the table outlives it.
        const char* text = std::get<std::vector<std::string>>(column)[r].c_str();
        std::memcpy(slot, &text, kSlot);
      }
    }
  }
  dataset.write(buffer.data(), row_type(names, kinds, false));
}

SampleTable read_sample_table(const H5::DataSet& dataset) {
  if (dataset.getTypeClass() != H5T_COMPOUND) {
    throw std::runtime_error("samples dataset is not a compound dataset");
  }
  const H5::CompType stored = dataset.getCompType();
  const int members = stored.getNmembers();
  std::vector<std::string> names;
  std::vector<Kind> kinds;
  for (int m = 0; m < members; ++m) {
    const std::string member = stored.getMemberName(static_cast<unsigned>(m));
    const H5T_class_t type_class = stored.getMemberClass(static_cast<unsigned>(m));
    if (type_class == H5T_INTEGER) {
      kinds.push_back(Kind::Int);
    } else if (type_class == H5T_FLOAT) {
      kinds.push_back(Kind::Float);
    } else if (type_class == H5T_STRING) {
      // HDF5 cannot convert fixed-length to variable-length strings; every writer of ours
      // uses variable-length ones.
      if (!stored.getMemberStrType(static_cast<unsigned>(m)).isVariableStr()) {
        throw std::runtime_error("samples column '" + member + "' is a fixed-length string");
      }
      kinds.push_back(Kind::String);
    } else {
      throw std::runtime_error("samples column '" + member + "' has an unsupported type");
    }
    names.push_back(member);
  }

  const H5::DataSpace space = dataset.getSpace();
  const size_t rows = static_cast<size_t>(space.getSimpleExtentNpoints());
  const H5::CompType memory = row_type(names, kinds, false);
  std::vector<unsigned char> buffer(rows * kSlot * names.size());
  if (rows > 0) dataset.read(buffer.data(), memory);

  SampleTable table;
  for (size_t c = 0; c < names.size(); ++c) {
    auto slot = [&](size_t r) { return buffer.data() + (r * names.size() + c) * kSlot; };
    if (kinds[c] == Kind::Int) {
      std::vector<int64_t> values(rows);
      for (size_t r = 0; r < rows; ++r) std::memcpy(&values[r], slot(r), kSlot);
      table.add_column(names[c], std::move(values));
    } else if (kinds[c] == Kind::Float) {
      std::vector<double> values(rows);
      for (size_t r = 0; r < rows; ++r) std::memcpy(&values[r], slot(r), kSlot);
      table.add_column(names[c], std::move(values));
    } else {
      std::vector<std::string> values(rows);
      for (size_t r = 0; r < rows; ++r) {
        const char* text = nullptr;
        std::memcpy(&text, slot(r), kSlot);
        if (text != nullptr) values[r] = text;
      }
      table.add_column(names[c], std::move(values));
    }
  }
  if (rows > 0) H5::DataSet::vlenReclaim(buffer.data(), memory, space);
  return table;
}

}  // namespace wq::h5
