#pragma once
// Running figures over a pass (what the progress bar's postfix shows) and the
// confusion matrix of an evaluation.
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace trainbench::train {

// Accuracy over the samples seen so far and mean loss over the batches seen
// so far (the workload's notebook averages batch losses the same way).
class RunningMetrics {
 public:
  // logits [n, classes], labels [n]; batch_loss is the batch's mean loss.
  void add_batch(const torch::Tensor& logits, const torch::Tensor& labels, double batch_loss);
  void add(std::int64_t correct, std::int64_t count, double batch_loss);
  // Figures as a checkpoint recorded them, to continue a pass where it stopped.
  static RunningMetrics restored(std::int64_t correct, std::int64_t samples, std::int64_t batches, double loss_sum,
                                 double last_loss);

  double accuracy() const { return samples_ > 0 ? static_cast<double>(correct_) / static_cast<double>(samples_) : 0.0; }
  double mean_loss() const { return batches_ > 0 ? loss_sum_ / static_cast<double>(batches_) : 0.0; }
  double last_loss() const { return last_loss_; }
  std::int64_t samples() const { return samples_; }
  std::int64_t batches() const { return batches_; }
  std::int64_t correct() const { return correct_; }
  double loss_sum() const { return loss_sum_; }

 private:
  std::int64_t correct_ = 0;
  std::int64_t samples_ = 0;
  std::int64_t batches_ = 0;
  double loss_sum_ = 0.0;
  double last_loss_ = 0.0;
};

// counts[truth][predicted].
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int classes = 0);
  void add(const torch::Tensor& predicted, const torch::Tensor& labels);
  int classes() const { return classes_; }
  std::int64_t count(int truth, int predicted) const { return counts_[static_cast<std::size_t>(truth) * classes_ + predicted]; }
  std::int64_t total() const;
  // Correct / samples of class c; -1 when the class had no samples.
  double class_accuracy(int c) const;
  std::int64_t class_total(int c) const;

 private:
  int classes_;
  std::vector<std::int64_t> counts_;
};

}  // namespace trainbench::train
