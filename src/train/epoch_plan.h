#pragma once
// How many optimizer steps a run's OneCycle schedule spans and which epochs
// it trains: for a new run, epochs x batches (or --max-steps when fewer); for
// a resumed one, what its checkpoint planned, unless it continues mid-epoch on
// another number of ranks: the epoch's rest is then dealt over this world's
// ranks, so the steps left change and the schedule is stretched over them.
#include <cstdint>
#include <optional>

namespace trainbench::train {

struct EpochPlanRequest {
  int epochs = 1;
  std::int64_t max_steps = 0;          // 0: no limit
  std::int64_t batches_per_epoch = 1;  // this world's, a whole epoch
};

// Where a checkpoint stopped.
struct ResumePoint {
  int epoch = 1;                  // the epoch to continue (1-based)
  std::int64_t steps_taken = 0;   // optimizer steps before this run
  std::int64_t batches_left = 0;  // of that epoch, as this world deals them from its position; 0 at an epoch's start
  bool other_world = false;       // the checkpoint's world size is not this run's
};

struct EpochPlan {
  std::int64_t total_steps = 0;    // the schedule's length
  int last_epoch = 0;              // epochs run up to and including this one
  bool schedule_stretched = false; // the schedule must be rebuilt over total_steps
};

// A new run's schedule length: epochs x batches, or max_steps when fewer.
std::int64_t planned_total_steps(const EpochPlanRequest& request);

// `scheduled_steps` is the schedule's length as planned before (the new
// run's planned_total_steps); `resume` where a checkpoint stopped, if any.
EpochPlan plan_epochs(const EpochPlanRequest& request, std::int64_t scheduled_steps,
                      const std::optional<ResumePoint>& resume);

}  // namespace trainbench::train
