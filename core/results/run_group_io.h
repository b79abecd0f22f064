// One RunRecord <-> the group /runs/<run_id> (layout in docs/results-schema.md).
#pragma once

#include <H5Cpp.h>

#include <map>
#include <string>

#include "core/results/run_record.h"

namespace wq::h5 {

// Throws std::invalid_argument unless `run_id` can be an HDF5 link name of ours
// (non-empty, no '/', not "." or "..").
void check_run_id(const std::string& run_id);

// Writes `record` as a new group under `runs` (a group of that name must not exist).
// `stamp` adds string attributes to the run group, e.g. the writer's git commit and host.
void write_run_group(const H5::Group& runs, const RunRecord& record,
                     const std::map<std::string, std::string>& stamp);

RunRecord read_run_group(const H5::Group& run, const std::string& run_id, ReadDepth depth);

}  // namespace wq::h5
