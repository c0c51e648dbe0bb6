#pragma once
// Measures the provenance (core/provenance.h) of a figure about to be taken:
// the software, the device and the machine. Apart from the schema because it
// asks LibTorch, which the schema's readers (the store, reports) do not need.
#include <torch/types.h>

#include "core/provenance.h"

namespace trainbench::core {

// Measures it now for a run on `device`.
Provenance collect_provenance(const torch::Device& device);

}  // namespace trainbench::core
