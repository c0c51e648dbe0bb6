#include "train/device_batch.h"

#include <torch/torch.h>

#include "data/normalize.h"

namespace trainbench::train {

DeviceBatch to_device(const data::Batch& batch, const Execution& execution, const data::BatchAugment& augment) {
  // Pinned host memory lets the copy overlap with the previous step's kernels.
  const bool non_blocking = batch.images.is_pinned();
  const torch::Tensor pixels = batch.images.to(execution.device, /*non_blocking=*/non_blocking);
  return {data::normalize_batch(augment.apply(pixels, batch), execution.memory_format()),
          batch.labels.to(execution.device, /*non_blocking=*/non_blocking)};
}

}  // namespace trainbench::train
