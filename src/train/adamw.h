#pragma once
// The workload's optimizer, AdamW, in the fastest form the device gives:
// - plain: LibTorch's torch::optim::AdamW, a loop of small kernels per
//   parameter (about ten per tensor, 62 tensors in resnet18d);
// - multi-tensor: the same arithmetic with ATen's _foreach_ operations, a
//   handful of launches per step for all parameters of a group; on a GPU,
//   where the plain loop is launch-bound, that is what PyTorch's
//   AdamW(foreach=True) does by default.
// Both keep their state in torch::optim::AdamW's own AdamWParamState, so
// checkpoints (train/optimizer_state.h) are the same whichever ran, and a run
// may resume on another device with the other kind.
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace trainbench::train {

enum class AdamWKind { kPlain, kMultiTensor };

// Multi-tensor on accelerators; plain on the CPU, where ATen's _foreach_
// operations fall back to the same per-tensor loop.
AdamWKind default_adamw_kind(const torch::Device& device);
std::string to_string(AdamWKind kind);  // "plain", "multi-tensor"

// AdamW (decoupled weight decay, bias-corrected moments, no amsgrad) with
// _foreach_ updates. Parameters that have taken different numbers of steps
// (one without a gradient on some step) are updated in separate lists. With
// amsgrad it runs torch::optim::AdamW's own step.
class MultiTensorAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<torch::Tensor>& parameters,
                                                const torch::optim::AdamWOptions& options, AdamWKind kind);

}  // namespace trainbench::train
