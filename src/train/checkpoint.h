#pragma once
// Optimizer state on disk, in LibTorch's own archive format: it is for
// resuming a run with trainbench, not for other programs (model weights are
// safetensors, see train/model_weights.h). Writes are atomic.
#include <torch/optim/optimizer.h>

#include <filesystem>

namespace trainbench::train {

void save_optimizer(torch::optim::Optimizer& optimizer, const std::filesystem::path& path);

}  // namespace trainbench::train
