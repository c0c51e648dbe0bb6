#include "core/synchronize.h"

#include <torch/cuda.h>
#include <torch/torch.h>

namespace trainbench::core {

void synchronize(const torch::Device& device) {
  if (device.is_cpu()) return;
  if (device.is_cuda()) {
    torch::cuda::synchronize(device.has_index() ? device.index() : -1);
    return;
  }
  (void)torch::zeros({1}, torch::TensorOptions().device(device)).to(torch::kCPU);
}

}  // namespace trainbench::core
