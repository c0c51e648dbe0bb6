#pragma once
// One training step in its three phases, shared by `train` and `bench` so the
// benchmark times exactly what training runs: forward and loss under
// autocast, the (scaled, in fp16) backward pass, and the optimizer update
// (skipped by the gradient scaler when a gradient overflowed). `bench
// --detail` synchronises the device between the phases to time each.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

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

// Zeroes the gradients in place, keeping their tensors: under data-parallel
// they are views into the reducer's buckets, which LibTorch's zero_grad()
// cannot clear (1.13 detaches them in place) or drops (2.x).
void clear_gradients(torch::optim::Optimizer& optimizer);

// Backward from the loss (scaled when `scaler`), adding to the gradients
// already there: one micro-batch of --accumulate.
void accumulate_backward(const torch::Tensor& loss, GradScaler* scaler);

// `batch` in `count` micro-batches along the batch dimension, as even as the
// images allow (views, in the batch's memory layout); count >= 1.
std::vector<DeviceBatch> micro_batches(const DeviceBatch& batch, std::int64_t count);

// The optimizer step, through the scaler when there is one (which then also
// updates its scale).
void optimizer_update(torch::optim::Optimizer& optimizer, GradScaler* scaler);

}  // namespace trainbench::train
