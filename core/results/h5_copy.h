// Recursive copy of a run group between files, through our own typed readers and writers.
//
// Why not H5Ocopy: in HDF5 1.10 (Debian 12's libhdf5 1.10.8) H5Ocopy dereferences a null
// pointer when it copies an object whose attributes are in dense storage and of a
// variable-length type -- exactly our run groups (segfault in H5T__conv_vlen called from
// H5A__dense_post_copy_file_all).
#pragma once

#include <H5Cpp.h>

namespace wq::h5 {

// Copies every attribute, subgroup and dataset of `from` into the (empty) group `to`.
// Handles what the results writer produces: int64/float64/string/string-list attributes,
// compound sample datasets and 1-D numeric datasets; anything else throws.
void copy_group_contents(const H5::Group& from, H5::Group& to);

}  // namespace wq::h5
