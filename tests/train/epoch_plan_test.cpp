#include "train/epoch_plan.h"

#include <gtest/gtest.h>

namespace trainbench::train {
namespace {

TEST(EpochPlan, ANewRunSpansEpochsTimesBatchesOrMaxSteps) {
  EXPECT_EQ(planned_total_steps({3, 0, 4324}), 12972);  // the workload: 3 epochs of 4324 batches
  EXPECT_EQ(planned_total_steps({3, 100, 4324}), 100);
  EXPECT_EQ(planned_total_steps({3, 20000, 4324}), 12972);
  const EpochPlan plan = plan_epochs({3, 100, 40}, 100, std::nullopt);
  EXPECT_EQ(plan.total_steps, 100);
  EXPECT_EQ(plan.last_epoch, 3);  // 40 + 40 + 20
  EXPECT_FALSE(plan.schedule_stretched);
}

TEST(EpochPlan, ResumedOnTheSameWorldKeepsItsSchedule) {
  // 3 epochs of 40 on 2 ranks, stopped after 50 steps (10 into epoch 2): 30 batches left of it.
  const EpochPlan plan = plan_epochs({3, 0, 40}, 120, ResumePoint{2, 50, 30, false});
  EXPECT_EQ(plan.total_steps, 120);
  EXPECT_EQ(plan.last_epoch, 3);
  EXPECT_FALSE(plan.schedule_stretched);
  // At an epoch's start the planned schedule decides.
  EXPECT_EQ(plan_epochs({3, 0, 40}, 120, ResumePoint{3, 80, 0, true}).last_epoch, 3);
}

TEST(EpochPlan, ResumedMidEpochOnAnotherWorldIsStretchedOverItsSteps) {
  // Begun on 2 ranks (40 batches an epoch), stopped 10 into epoch 2 after 50
  // steps; resumed on 1 rank (80 batches an epoch): the rest of epoch 2 is 60
  // batches here, then epoch 3's 80: 190 steps in all.
  const EpochPlan plan = plan_epochs({3, 0, 80}, 240, ResumePoint{2, 50, 60, true});
  EXPECT_TRUE(plan.schedule_stretched);
  EXPECT_EQ(plan.total_steps, 50 + 60 + 80);
  EXPECT_EQ(plan.last_epoch, 3);
  // --max-steps still caps it, and the epochs end with it.
  const EpochPlan capped = plan_epochs({3, 100, 80}, 100, ResumePoint{2, 50, 60, true});
  EXPECT_EQ(capped.total_steps, 100);
  EXPECT_EQ(capped.last_epoch, 2);
}

}  // namespace
}  // namespace trainbench::train
