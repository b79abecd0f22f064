// Small HDF5 helpers shared by the results store: file opening with our property lists,
// typed attributes, and turning HDF5's exceptions into std::runtime_error.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace wq::h5 {

// Creates `path` (truncating) or opens it; every results file goes through these so that
// all of them share the format bounds and close behaviour.
H5::H5File create_file(const std::string& path);
H5::H5File open_file(const std::string& path, bool writable);

// Variable-length UTF-8 string type: what h5py reads back as `str`.
H5::StrType utf8_string_type();

// Scalar attributes; writing replaces an attribute of the same name.
void write_string(H5::H5Object& object, const std::string& name, const std::string& value);
void write_double(H5::H5Object& object, const std::string& name, double value);
void write_int(H5::H5Object& object, const std::string& name, int64_t value);
void write_string_list(H5::H5Object& object, const std::string& name,
                       const std::vector<std::string>& values);

using AttributeValue = std::variant<int64_t, double, std::string, std::vector<std::string>>;
// Reads any attribute we write (and fixed-length strings, as other tools write them).
AttributeValue read_attribute(const H5::H5Object& object, const std::string& name);
std::vector<std::string> attribute_names(const H5::H5Object& object);

// Typed reads: std::nullopt when the attribute is absent; throw when it has another type.
std::optional<std::string> read_string(const H5::H5Object& object, const std::string& name);
std::optional<double> read_number(const H5::H5Object& object, const std::string& name);

// Names of the links of a group in creation order (falls back to name order for groups
// created without creation-order tracking, e.g. by other tools).
std::vector<std::string> link_names(const H5::Group& group);
// Creates a group that tracks link creation order, so runs list in the order committed.
H5::Group create_ordered_group(const H5::Group& parent, const std::string& name);

// Runs `body`, rethrowing an H5::Exception as std::runtime_error("<context>: <detail>").
template <typename Body>
auto guarded(const std::string& context, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const H5::Exception& error) {
    throw std::runtime_error(context + ": " + error.getDetailMsg() + " (in " +
                             error.getFuncName() + ")");
  }
}

}  // namespace wq::h5
