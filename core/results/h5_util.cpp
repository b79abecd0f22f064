#include "core/results/h5_util.h"

namespace wq::h5 {

namespace {

H5::FileAccPropList file_access() {
  H5::FileAccPropList access;
  // The 1.8 format at least: attributes then move to dense storage past a few per object,
  // so a run with hundreds of config keys or per-task metrics has no header size limit.
  access.setLibverBounds(H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  // Closing the file object really closes the file even if a handle leaked somewhere:
  // the commit protocol fsyncs and renames right after close.
  access.setFcloseDegree(H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 10, 7)
  // HDF5's own file lock is not needed (files are never written in place; the temporary
  // copy is private to its writer) and fails on cluster filesystems without flock (Lustre,
  // some NFS mounts), where it would make every results file unreadable.
  H5Pset_file_locking(access.getId(), false, true);
#endif
  return access;
}

H5::Attribute replace_attribute(H5::H5Object& object, const std::string& name,
                                const H5::DataType& type, const H5::DataSpace& space) {
  if (object.attrExists(name)) object.removeAttr(name);
  return object.createAttribute(name, type, space);
}

}  // namespace

H5::H5File create_file(const std::string& path) {
  // Errors are reported through exceptions with their message; the default stack dump to
  // stderr would only repeat them.
  H5::Exception::dontPrint();
  return H5::H5File(path, H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, file_access());
}

H5::H5File open_file(const std::string& path, bool writable) {
  H5::Exception::dontPrint();
  return H5::H5File(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY,
                    H5::FileCreatPropList::DEFAULT, file_access());
}

H5::StrType utf8_string_type() {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  return type;
}

void write_string(H5::H5Object& object, const std::string& name, const std::string& value) {
  const H5::StrType type = utf8_string_type();
  H5::Attribute attribute = replace_attribute(object, name, type, H5::DataSpace(H5S_SCALAR));
  const char* text = value.c_str();
  attribute.write(type, &text);
}

void write_double(H5::H5Object& object, const std::string& name, double value) {
  H5::Attribute attribute =
      replace_attribute(object, name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
  attribute.write(H5::PredType::NATIVE_DOUBLE, &value);
}

void write_int(H5::H5Object& object, const std::string& name, int64_t value) {
  H5::Attribute attribute =
      replace_attribute(object, name, H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR));
  attribute.write(H5::PredType::NATIVE_INT64, &value);
}

void write_string_list(H5::H5Object& object, const std::string& name,
                       const std::vector<std::string>& values) {
  const H5::StrType type = utf8_string_type();
  if (values.empty()) {
    // A null dataspace is HDF5's way to say "no elements" for an attribute.
    replace_attribute(object, name, type, H5::DataSpace(H5S_NULL));
    return;
  }
  const hsize_t count = values.size();
  H5::Attribute attribute = replace_attribute(object, name, type, H5::DataSpace(1, &count));
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const auto& value : values) pointers.push_back(value.c_str());
  attribute.write(type, pointers.data());
}

AttributeValue read_attribute(const H5::H5Object& object, const std::string& name) {
  H5::Attribute attribute = object.openAttribute(name);
  const H5::DataSpace space = attribute.getSpace();
  const H5T_class_t type_class = attribute.getTypeClass();
  const hssize_t count = space.getSimpleExtentType() == H5S_NULL ? 0 : space.getSimpleExtentNpoints();
  const bool scalar = space.getSimpleExtentType() == H5S_SCALAR || count == 1;
  if (type_class == H5T_STRING) {
    if (scalar) {
      std::string value;
      attribute.read(attribute.getStrType(), value);
      return value;
    }
    std::vector<std::string> values;
    if (count == 0) return values;
    const H5::StrType memory_type = attribute.getStrType();
    if (memory_type.isVariableStr()) {
      std::vector<char*> pointers(static_cast<size_t>(count), nullptr);
      attribute.read(memory_type, pointers.data());
      for (char* text : pointers) values.emplace_back(text != nullptr ? text : "");
      H5::DataSet::vlenReclaim(pointers.data(), memory_type, space);
    } else {
      const size_t width = memory_type.getSize();
      std::vector<char> buffer(width * static_cast<size_t>(count));
      attribute.read(memory_type, buffer.data());
      for (hssize_t i = 0; i < count; ++i) {
        std::string value(buffer.data() + i * width, width);
        value.erase(value.find_last_not_of('\0') + 1);
        values.push_back(value);
      }
    }
    return values;
  }
  if (!scalar) throw std::runtime_error("attribute '" + name + "' is not a scalar");
  if (type_class == H5T_INTEGER) {
    int64_t value = 0;
    attribute.read(H5::PredType::NATIVE_INT64, &value);
    return value;
  }
  if (type_class == H5T_FLOAT) {
    double value = 0;
    attribute.read(H5::PredType::NATIVE_DOUBLE, &value);
    return value;
  }
  throw std::runtime_error("attribute '" + name + "' has an unsupported type class");
}

std::vector<std::string> attribute_names(const H5::H5Object& object) {
  std::vector<std::string> names;
  const int count = object.getNumAttrs();
  for (int i = 0; i < count; ++i) {
    names.push_back(object.openAttribute(static_cast<unsigned>(i)).getName());
  }
  return names;
}

std::optional<std::string> read_string(const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name)) return std::nullopt;
  const AttributeValue value = read_attribute(object, name);
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  throw std::runtime_error("attribute '" + name + "' is not a string");
}

std::optional<double> read_number(const H5::H5Object& object, const std::string& name) {
  if (!object.attrExists(name)) return std::nullopt;
  const AttributeValue value = read_attribute(object, name);
  if (const auto* number = std::get_if<double>(&value)) return *number;
  if (const auto* number = std::get_if<int64_t>(&value)) return static_cast<double>(*number);
  throw std::runtime_error("attribute '" + name + "' is not a number");
}

std::vector<std::string> link_names(const H5::Group& group) {
  const hid_t id = group.getId();
  H5G_info_t info{};
  if (H5Gget_info(id, &info) < 0) throw std::runtime_error("cannot read group info");
  const hid_t create_properties = H5Gget_create_plist(id);
  unsigned order_flags = 0;
  H5Pget_link_creation_order(create_properties, &order_flags);
  H5Pclose(create_properties);
  const H5_index_t index = (order_flags & H5P_CRT_ORDER_TRACKED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(id, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) throw std::runtime_error("cannot read link name");
    std::string name(static_cast<size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(id, ".", index, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
    name.resize(static_cast<size_t>(size));
    names.push_back(name);
  }
  return names;
}

H5::Group create_ordered_group(const H5::Group& parent, const std::string& name) {
  const hid_t properties = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(properties, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  const hid_t group = H5Gcreate2(parent.getId(), name.c_str(), H5P_DEFAULT, properties, H5P_DEFAULT);
  H5Pclose(properties);
  if (group < 0) throw std::runtime_error("cannot create group '" + name + "'");
  H5Gclose(group);
  return parent.openGroup(name);
}

}  // namespace wq::h5
