#pragma once
// Waits until the device has finished all the work queued on it, so a timer
// read afterwards measures the work and not just its launch.
#include <torch/types.h>

namespace trainbench::core {

// CUDA: torch::cuda::synchronize. Other accelerators: a one-element copy to
// the host, which waits for the work queued before it on the current stream
// (the same on every LibTorch version). CPU: nothing to wait for.
void synchronize(const torch::Device& device);

}  // namespace trainbench::core
