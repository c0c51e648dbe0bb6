#include "train/metrics.h"

#include <torch/torch.h>

#include <numeric>

#include "core/error.h"

namespace trainbench::train {

void RunningMetrics::add_batch(const torch::Tensor& logits, const torch::Tensor& labels, double batch_loss) {
  const std::int64_t correct = logits.argmax(1).eq(labels).sum().item<std::int64_t>();
  add(correct, labels.size(0), batch_loss);
}

RunningMetrics RunningMetrics::restored(std::int64_t correct, std::int64_t samples, std::int64_t batches,
                                        double loss_sum, double last_loss) {
  RunningMetrics metrics;
  metrics.correct_ = correct;
  metrics.samples_ = samples;
  metrics.batches_ = batches;
  metrics.loss_sum_ = loss_sum;
  metrics.last_loss_ = last_loss;
  return metrics;
}

void RunningMetrics::add(std::int64_t correct, std::int64_t count, double batch_loss) {
  correct_ += correct;
  samples_ += count;
  ++batches_;
  loss_sum_ += batch_loss;
  last_loss_ = batch_loss;
}

ConfusionMatrix::ConfusionMatrix(int classes) : classes_(classes), counts_(static_cast<std::size_t>(classes) * classes, 0) {}

void ConfusionMatrix::add(const torch::Tensor& predicted, const torch::Tensor& labels) {
  const torch::Tensor p = predicted.to(torch::kCPU, torch::kInt64).contiguous();
  const torch::Tensor t = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const std::int64_t* pp = p.data_ptr<std::int64_t>();
  const std::int64_t* tp = t.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) {
    if (tp[i] < 0 || tp[i] >= classes_ || pp[i] < 0 || pp[i] >= classes_) throw RunError("class index out of range");
    ++counts_[static_cast<std::size_t>(tp[i] * classes_ + pp[i])];
  }
}

std::int64_t ConfusionMatrix::total() const { return std::accumulate(counts_.begin(), counts_.end(), std::int64_t{0}); }

std::int64_t ConfusionMatrix::class_total(int c) const {
  std::int64_t total = 0;
  for (int p = 0; p < classes_; ++p) total += count(c, p);
  return total;
}

double ConfusionMatrix::class_accuracy(int c) const {
  const std::int64_t total = class_total(c);
  return total > 0 ? static_cast<double>(count(c, c)) / static_cast<double>(total) : -1.0;
}

}  // namespace trainbench::train
