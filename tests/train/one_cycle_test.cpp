#include "train/one_cycle.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "test_support.h"

namespace trainbench::train {
namespace {

// Step by step against torch.optim.lr_scheduler.OneCycleLR on AdamW,
// including beta1 cycling, for the workload's schedule shape and odd sizes.
TEST(OneCycle, MatchesPyTorchStepByStep) {
  for (const std::int64_t total : {std::int64_t{12972}, std::int64_t{100}, std::int64_t{7}, std::int64_t{4}}) {
    testing::TempDir dir;
    const auto file = dir / "one_cycle.tensors";
    ASSERT_EQ(testing::run_reference("one_cycle_reference.py", {std::to_string(total), "0.001", file.string()}), 0);
    const auto reference = testing::read_tensor_file(file);
    const torch::Tensor lr = reference.at("lr");
    const torch::Tensor beta1 = reference.at("beta1");
    ASSERT_EQ(lr.numel(), total);
    OneCycleOptions options;
    options.max_lr = 1e-3;
    options.total_steps = total;
    const OneCycleSchedule schedule(options);
    const double* expected_lr = lr.data_ptr<double>();
    const double* expected_beta1 = beta1.data_ptr<double>();
    for (std::int64_t step = 0; step < total; ++step) {
      ASSERT_NEAR(schedule.lr(step), expected_lr[step], 1e-12 + 1e-9 * expected_lr[step]) << "total " << total << " step " << step;
      ASSERT_NEAR(schedule.momentum(step), expected_beta1[step], 1e-12) << "total " << total << " step " << step;
    }
  }
}

TEST(OneCycle, StartsLowPeaksAtThirtyPercentAndEndsFarBelow) {
  OneCycleOptions options;
  options.max_lr = 1e-3;
  options.total_steps = 1000;
  const OneCycleSchedule schedule(options);
  EXPECT_DOUBLE_EQ(schedule.lr(0), 1e-3 / 25);
  EXPECT_DOUBLE_EQ(schedule.lr(299), 1e-3);
  EXPECT_DOUBLE_EQ(schedule.momentum(299), 0.85);
  EXPECT_DOUBLE_EQ(schedule.momentum(0), 0.95);
  EXPECT_NEAR(schedule.lr(999), 1e-3 / 25 / 1e4, 1e-15);
}

TEST(OneCycle, RejectsImpossibleSettings) {
  OneCycleOptions options;
  options.total_steps = 0;
  EXPECT_THROW(OneCycleSchedule{options}, UsageError);
  options.total_steps = 10;
  options.pct_start = 1.5;
  EXPECT_THROW(OneCycleSchedule{options}, UsageError);
}

}  // namespace
}  // namespace trainbench::train
