#pragma once
// One training step in its three phases, shared by `train` and `bench` so the
// benchmark times exactly what training runs: forward and loss under
// autocast, the (scaled, in fp16) backward pass, and the optimizer update
// (skipped by the gradient scaler when a gradient overflowed). `bench
// --detail` synchronises the device between the phases to time each.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include "models/classifier.h"
#include "train/device_batch.h"
#include "train/execution.h"
#include "train/grad_scaler.h"

namespace trainbench::train {

struct ForwardResult {
  torch::Tensor logits;
  torch::Tensor loss;  // mean cross-entropy, fp32
};

// Forward and cross-entropy under the execution's autocast (which runs the
// loss in fp32).
ForwardResult forward_with_loss(models::Classifier& model, const Execution& execution, const DeviceBatch& batch);

// Clears the gradients, then backward from the loss (scaled when `scaler`).
void backward_pass(torch::optim::Optimizer& optimizer, const torch::Tensor& loss, GradScaler* scaler);

// The optimizer step, through the scaler when there is one (which then also
// updates its scale).
void optimizer_update(torch::optim::Optimizer& optimizer, GradScaler* scaler);

}  // namespace trainbench::train
