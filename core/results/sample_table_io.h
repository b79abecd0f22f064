// SampleTable <-> HDF5 compound dataset (one member per column, in column order).
#pragma once

#include <H5Cpp.h>

#include <string>

#include "core/results/run_record.h"

namespace wq::h5 {

// Writes `table` as the compound dataset `name` under `parent`: int64 columns as little-endian
// int64, float64 as IEEE float64, strings as variable-length UTF-8. A table without columns
// writes nothing; a table with columns but no rows writes a zero-length dataset (so readers
// still see the column names and types). Strings end at their first NUL byte.
void write_sample_table(const H5::Group& parent, const std::string& name, const SampleTable& table);

// Reads a compound dataset written by write_sample_table (integer members of any width come
// back as int64, float members as float64, string members as std::string).
SampleTable read_sample_table(const H5::DataSet& dataset);

}  // namespace wq::h5
