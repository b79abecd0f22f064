#include "core/results/h5_copy.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "core/results/h5_util.h"
#include "core/results/sample_table_io.h"

namespace wq::h5 {

namespace {

void copy_attributes(const H5::H5Object& from, H5::H5Object& to) {
  for (const auto& name : attribute_names(from)) {
    const AttributeValue value = read_attribute(from, name);
    if (const auto* integer = std::get_if<int64_t>(&value)) {
      write_int(to, name, *integer);
    } else if (const auto* number = std::get_if<double>(&value)) {
      write_double(to, name, *number);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      write_string(to, name, *text);
    } else {
      write_string_list(to, name, std::get<std::vector<std::string>>(value));
    }
  }
}

template <typename Value>
void copy_numeric_dataset(const H5::DataSet& from, const H5::Group& to, const std::string& name,
                          const H5::PredType& memory_type, const H5::PredType& file_type) {
  const H5::DataSpace space = from.getSpace();
  const int rank = space.getSimpleExtentNdims();
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) space.getSimpleExtentDims(dims.data());
  std::vector<Value> values(static_cast<size_t>(space.getSimpleExtentNpoints()));
  if (!values.empty()) from.read(values.data(), memory_type);
  H5::DataSet copy = to.createDataSet(name, file_type, rank > 0 ? H5::DataSpace(rank, dims.data())
                                                                : H5::DataSpace(H5S_SCALAR));
  if (!values.empty()) copy.write(values.data(), memory_type);
}

void copy_dataset(const H5::DataSet& from, H5::Group& to, const std::string& name) {
  switch (from.getTypeClass()) {
    case H5T_COMPOUND:
      write_sample_table(to, name, read_sample_table(from));
      break;
    case H5T_FLOAT:
      copy_numeric_dataset<double>(from, to, name, H5::PredType::NATIVE_DOUBLE,
                                   H5::PredType::IEEE_F64LE);
      break;
    case H5T_INTEGER:
      copy_numeric_dataset<int64_t>(from, to, name, H5::PredType::NATIVE_INT64,
                                    H5::PredType::STD_I64LE);
      break;
    default:
      throw std::runtime_error("cannot copy dataset '" + name + "': unsupported type");
  }
  H5::DataSet copy = to.openDataSet(name);
  copy_attributes(from, copy);
}

}  // namespace

void copy_group_contents(const H5::Group& from, H5::Group& to) {
  copy_attributes(from, to);
  for (const auto& name : link_names(from)) {
    const H5O_type_t type = from.childObjType(name);
    if (type == H5O_TYPE_GROUP) {
      H5::Group child = to.createGroup(name);
      copy_group_contents(from.openGroup(name), child);
    } else if (type == H5O_TYPE_DATASET) {
      copy_dataset(from.openDataSet(name), to, name);
    } else {
      throw std::runtime_error("cannot copy '" + name + "': not a group or dataset");
    }
  }
}

}  // namespace wq::h5
