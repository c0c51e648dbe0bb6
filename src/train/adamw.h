#pragma once
// The workload's optimizer, AdamW, in the fastest form the device gives:
// - plain: LibTorch's torch::optim::AdamW, a loop of small kernels per
//   parameter (about ten per tensor, 62 tensors in resnet18d);
// - multi-tensor: the same arithmetic with ATen's _foreach_ operations, a
//   handful of launches per step for all parameters of a group; on a GPU,
//   where the plain loop is launch-bound, that is what PyTorch's
//   AdamW(foreach=True) does by default;
// - fused (CPU): the same arithmetic in one pass over each tensor's memory
//   instead of about ten, as PyTorch 2.4's AdamW(fused=True) does on the CPU.
//   The update is memory-bound: one pass reads the parameter, gradient and
//   both moments once and writes three of them once.
// Both keep their state in torch::optim::AdamW's own AdamWParamState, so
// checkpoints (train/optimizer_state.h) are the same whichever ran, and a run
// may resume on another device with the other kind.
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace trainbench::train {

enum class AdamWKind { kPlain, kMultiTensor, kFused };

// Multi-tensor on accelerators; fused on the CPU (where ATen's _foreach_
// operations fall back to the per-tensor loop).
AdamWKind default_adamw_kind(const torch::Device& device);
std::string to_string(AdamWKind kind);  // "plain", "multi-tensor", "fused"

// AdamW (decoupled weight decay, bias-corrected moments, no amsgrad) with
// _foreach_ updates. Parameters that have taken different numbers of steps
// (one without a gradient on some step) are updated in separate lists. With
// amsgrad it runs torch::optim::AdamW's own step.
class MultiTensorAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

// AdamW with each float32 CPU tensor updated in one pass: the operations of
// torch::optim::AdamW::step, element by element in the same order and in
// float32 as ATen's kernels compute them (moments and gradient brought to the
// parameter's layout first). Other tensors (another dtype or device, not
// dense) take the tensor operations; amsgrad takes torch::optim::AdamW's step.
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<torch::Tensor>& parameters,
                                                const torch::optim::AdamWOptions& options, AdamWKind kind);

}  // namespace trainbench::train
