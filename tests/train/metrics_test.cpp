#include "train/metrics.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace trainbench::train {
namespace {

TEST(RunningMetrics, AccuracyOverSamplesAndLossOverBatches) {
  RunningMetrics metrics;
  // Batch 1: predictions 0, 1, 1 for labels 0, 1, 0 -> 2 of 3 right.
  metrics.add_batch(torch::tensor({{2.0, 1.0}, {0.0, 3.0}, {0.1, 0.2}}), torch::tensor({0, 1, 0}, torch::kInt64), 0.5);
  // Batch 2: one sample, right.
  metrics.add_batch(torch::tensor({{5.0, 1.0}}), torch::tensor({0}, torch::kInt64), 1.5);
  EXPECT_DOUBLE_EQ(metrics.accuracy(), 3.0 / 4.0);
  EXPECT_DOUBLE_EQ(metrics.mean_loss(), 1.0);  // the notebook's mean of batch losses
  EXPECT_DOUBLE_EQ(metrics.last_loss(), 1.5);
  EXPECT_EQ(metrics.samples(), 4);
  EXPECT_EQ(metrics.batches(), 2);
  EXPECT_DOUBLE_EQ(RunningMetrics{}.accuracy(), 0.0);
}

TEST(ConfusionMatrix, CountsTruthAgainstPrediction) {
  ConfusionMatrix matrix(3);
  matrix.add(torch::tensor({0, 2, 2, 1}, torch::kInt64), torch::tensor({0, 2, 1, 1}, torch::kInt64));
  EXPECT_EQ(matrix.count(1, 2), 1);
  EXPECT_EQ(matrix.count(1, 1), 1);
  EXPECT_EQ(matrix.total(), 4);
  EXPECT_DOUBLE_EQ(matrix.class_accuracy(1), 0.5);
  EXPECT_DOUBLE_EQ(matrix.class_accuracy(0), 1.0);
  ConfusionMatrix empty(2);
  EXPECT_LT(empty.class_accuracy(0), 0.0);  // no samples: undefined, not 0
}

}  // namespace
}  // namespace trainbench::train
