#include "train/one_cycle.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace trainbench::train {
namespace {

// PyTorch's _annealing_cos.
double cosine_anneal(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1.0);
}

}  // namespace

OneCycleSchedule::OneCycleSchedule(const OneCycleOptions& options)
    : options_(options),
      initial_lr_(options.max_lr / options.div_factor),
      min_lr_(initial_lr_ / options.final_div_factor),
      warmup_end_step_(options.pct_start * static_cast<double>(options.total_steps) - 1.0) {
  if (options.total_steps < 1) throw UsageError("OneCycle needs at least one step");
  if (!(options.pct_start >= 0.0 && options.pct_start <= 1.0)) {
    throw UsageError("OneCycle pct_start must be in [0, 1], got " + std::to_string(options.pct_start));
  }
  if (!(options.max_lr > 0.0)) throw UsageError("learning rate must be positive");
}

double OneCycleSchedule::anneal(std::int64_t step, double warmup_start, double peak, double end) const {
  // Two phases: [0, warmup_end] from warmup_start to peak, then to the last
  // step from peak to end. Like PyTorch, the last phase also takes any step
  // past the end (PyTorch raises there; we keep the final value's formula).
  const double s = static_cast<double>(step);
  const double final_step = static_cast<double>(options_.total_steps) - 1.0;
  // A phase of zero length (tiny schedules) is taken as already complete,
  // where PyTorch would divide by zero.
  if (s <= warmup_end_step_) {
    return warmup_end_step_ > 0.0 ? cosine_anneal(warmup_start, peak, s / warmup_end_step_) : peak;
  }
  const double decay_length = final_step - warmup_end_step_;
  return decay_length > 0.0 ? cosine_anneal(peak, end, (s - warmup_end_step_) / decay_length) : end;
}

double OneCycleSchedule::lr(std::int64_t step) const { return anneal(step, initial_lr_, options_.max_lr, min_lr_); }

double OneCycleSchedule::momentum(std::int64_t step) const {
  if (!options_.cycle_momentum) return options_.max_momentum;
  return anneal(step, options_.max_momentum, options_.base_momentum, options_.max_momentum);
}

}  // namespace trainbench::train
