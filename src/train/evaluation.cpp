#include "train/evaluation.h"

#include <torch/torch.h>

#include <chrono>

#include "train/device_batch.h"

namespace trainbench::train {

EvalResult evaluate(models::Classifier& model, data::BatchLoader& loader, const Execution& execution,
                    const std::function<void(std::int64_t, const RunningMetrics&)>& on_batch) {
  const auto start = std::chrono::steady_clock::now();
  EvalResult result{RunningMetrics{}, ConfusionMatrix(model.num_classes()), 0.0};
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  loader.start_epoch(0);
  std::int64_t batches = 0;
  while (std::optional<data::Batch> batch = loader.next()) {
    const DeviceBatch on_device = to_device(*batch, execution);
    torch::Tensor logits, loss_tensor;
    {
      const core::AutocastGuard autocast(execution.amp, execution.device);
      logits = model.forward(on_device.inputs);
      loss_tensor = torch::nn::functional::cross_entropy(logits, on_device.labels);
    }
    const double loss = loss_tensor.item<double>();
    const torch::Tensor predicted = logits.argmax(1);
    result.metrics.add(predicted.eq(on_device.labels).sum().item<std::int64_t>(), on_device.labels.size(0), loss);
    result.confusion.add(predicted, on_device.labels);
    if (on_batch) on_batch(++batches, result.metrics);
  }
  model.train(was_training);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace trainbench::train
