#include "train/train_step.h"

#include <torch/nn/functional/loss.h>

#include "core/precision.h"

namespace trainbench::train {

ForwardResult forward_with_loss(models::Classifier& model, const Execution& execution, const DeviceBatch& batch) {
  const core::AutocastGuard autocast(execution.amp, execution.device);
  ForwardResult result;
  result.logits = model.forward(batch.inputs);
  result.loss = torch::nn::functional::cross_entropy(result.logits, batch.labels);
  return result;
}

void backward_pass(torch::optim::Optimizer& optimizer, const torch::Tensor& loss, GradScaler* scaler) {
  clear_gradients(optimizer);
  accumulate_backward(loss, scaler);
}

void clear_gradients(torch::optim::Optimizer& optimizer) {
  // As PyTorch's Python optimizers do for DDP's bucket views (1.13's C++
  // zero_grad() detaches in place, which views refuse; 2.x's drops them).
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer.param_groups()) {
    for (auto& parameter : group.params()) {
      if (parameter.grad().defined()) parameter.mutable_grad().zero_();
    }
  }
}

void accumulate_backward(const torch::Tensor& loss, GradScaler* scaler) {
  if (scaler) {
    scaler->scale(loss).backward();
  } else {
    loss.backward();
  }
}

std::vector<DeviceBatch> micro_batches(const DeviceBatch& batch, std::int64_t count) {
  if (count <= 1) return {batch};
  const std::vector<torch::Tensor> inputs = batch.inputs.tensor_split(count);
  const std::vector<torch::Tensor> labels = batch.labels.tensor_split(count);
  std::vector<DeviceBatch> parts;
  for (std::size_t i = 0; i < inputs.size(); ++i) parts.push_back({inputs[i], labels[i]});
  return parts;
}

void optimizer_update(torch::optim::Optimizer& optimizer, GradScaler* scaler) {
  if (scaler) {
    scaler->step(optimizer);  // skipped when a gradient overflowed
    scaler->update();
  } else {
    optimizer.step();
  }
}

}  // namespace trainbench::train
