#pragma once
// AdamW's state as plain tensors and a little JSON, for the training
// checkpoint (train/checkpoint.h).
//
// Why not LibTorch's own optimizer.save(OutputArchive): its reader is a zip,
// pickle and TorchScript-compiler stack that trusts the bytes it is given;
// fuzz_checkpoint made it allocate 4 GB and crash with SIGSEGV inside
// LibTorch within seconds (fuzz/README.md). Here the tensors come from our
// strict safetensors reader and every name, shape, dtype and number is checked
// against the optimizer before anything of it is used.
#include <nlohmann/json.hpp>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace trainbench::train {

struct OptimizerState {
  // Per parameter that has taken a step, with its index among the parameters
  // of all groups in order: "<index>/step" (int64, 0-d), "<index>/exp_avg",
  // "<index>/exp_avg_sq", and "<index>/max_exp_avg_sq" under amsgrad; CPU.
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  // One object per parameter group: {"parameters": count, "lr", "beta1",
  // "beta2", "eps", "weight_decay", "amsgrad"}.
  nlohmann::json groups = nlohmann::json::array();
};

// A copy of the optimizer's state, on the CPU.
OptimizerState adamw_state(const torch::optim::AdamW& optimizer);

// Replaces the optimizer's options and per-parameter state with `state`,
// moved to each parameter's device. Throws RunError naming the file when the
// state is not one of this optimizer (other groups or parameter counts,
// shapes, dtypes, names, or numbers out of range); the optimizer is then
// unchanged.
void load_adamw_state(torch::optim::AdamW& optimizer, const OptimizerState& state, const std::string& name_for_errors);

}  // namespace trainbench::train
