#include "train/epoch_plan.h"

#include <algorithm>

namespace trainbench::train {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::int64_t planned_total_steps(const EpochPlanRequest& request) {
  const std::int64_t total = static_cast<std::int64_t>(request.epochs) * request.batches_per_epoch;
  return request.max_steps > 0 ? std::min(total, request.max_steps) : total;
}

EpochPlan plan_epochs(const EpochPlanRequest& request, std::int64_t scheduled_steps,
                      const std::optional<ResumePoint>& resume) {
  const std::int64_t batches = std::max<std::int64_t>(1, request.batches_per_epoch);
  EpochPlan plan;
  plan.total_steps = scheduled_steps;
  if (!resume || resume->batches_left == 0) {
    plan.last_epoch = static_cast<int>(ceil_div(plan.total_steps, batches));
    return plan;
  }
  if (resume->other_world) {
    // The steps left are this world's: the rest of the epoch, then whole epochs.
    plan.total_steps = resume->steps_taken + resume->batches_left +
                       static_cast<std::int64_t>(request.epochs - resume->epoch) * batches;
    if (request.max_steps > 0) plan.total_steps = std::min(plan.total_steps, request.max_steps);
    plan.schedule_stretched = true;
  }
  const std::int64_t after_this_epoch =
      std::max<std::int64_t>(0, plan.total_steps - resume->steps_taken - resume->batches_left);
  plan.last_epoch = resume->epoch + static_cast<int>(ceil_div(after_this_epoch, batches));
  return plan;
}

}  // namespace trainbench::train
