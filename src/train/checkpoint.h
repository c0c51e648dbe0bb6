#pragma once
// Model and optimizer state on disk, in LibTorch's own archive format for now
// (a portable weights format is a later step). Writes are atomic.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <filesystem>

namespace trainbench::train {

void save_module(torch::nn::Module& module, const std::filesystem::path& path);
// Throws RunError when the file is missing or does not fit the module.
void load_module(torch::nn::Module& module, const std::filesystem::path& path);

void save_optimizer(torch::optim::Optimizer& optimizer, const std::filesystem::path& path);

}  // namespace trainbench::train
