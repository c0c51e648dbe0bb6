#include "train/device_batch.h"

#include <torch/torch.h>

#include "data/normalize.h"

namespace trainbench::train {

DeviceBatch to_device(const data::Batch& batch, const torch::Device& device) {
  const bool non_blocking = batch.images.is_pinned();
  const torch::Tensor pixels = batch.images.to(device, /*non_blocking=*/non_blocking);
  return {data::normalize_batch(pixels), batch.labels.to(device, /*non_blocking=*/non_blocking)};
}

}  // namespace trainbench::train
