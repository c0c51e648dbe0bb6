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
  optimizer.zero_grad();
  if (scaler) {
    scaler->scale(loss).backward();
  } else {
    loss.backward();
  }
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
