#pragma once
// A loader batch on the training device, as model input: one (non-blocking,
// from pinned memory on a GPU) copy of the uint8 pixels, then normalisation
// as tensor ops on the device, into the execution's memory layout. Batch
// augmentation will sit between the two.
#include <torch/types.h>

#include "data/batch_loader.h"
#include "train/execution.h"

namespace trainbench::train {

struct DeviceBatch {
  torch::Tensor inputs;  // float [n, 3, h, w], normalised
  torch::Tensor labels;  // int64 [n]
};

DeviceBatch to_device(const data::Batch& batch, const Execution& execution);

}  // namespace trainbench::train
