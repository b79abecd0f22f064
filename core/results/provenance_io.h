// Provenance <-> root attributes of a results file.
#pragma once

#include <H5Cpp.h>

#include "core/results/provenance.h"

namespace wq::h5 {

// Writes every field as a root attribute (names as in docs/results-schema.md); `extra`
// entries become string attributes of their own name.
void write_provenance(H5::H5File& file, const Provenance& provenance);
// Missing attributes keep Provenance's defaults; unknown string attributes go to `extra`.
Provenance read_provenance(const H5::H5File& file);

}  // namespace wq::h5
