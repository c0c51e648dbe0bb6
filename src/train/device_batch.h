#pragma once
// A loader batch on the training device, as model input: one (non-blocking,
// from pinned memory on a GPU) copy of the uint8 pixels, then normalisation
// then augmentation (training batches only) and normalisation as tensor ops on
// the device, into the execution's memory layout.
#include <torch/types.h>

#include "data/batch_augment.h"
#include "data/batch_loader.h"
#include "train/execution.h"

namespace trainbench::train {

struct DeviceBatch {
  torch::Tensor inputs;  // float [n, 3, h, w], normalised
  torch::Tensor labels;  // int64 [n]
};

DeviceBatch to_device(const data::Batch& batch, const Execution& execution, const data::BatchAugment& augment = {});

}  // namespace trainbench::train
