#pragma once
// PyTorch's OneCycleLR (two-phase, cosine annealing), stepped per batch,
// including its momentum cycling (beta1 for Adam-family optimizers).
// lr(step) is the rate the optimizer uses on step `step` (0-based), i.e.
// what PyTorch's scheduler reports after `step` calls to scheduler.step().
#include <cstdint>

namespace trainbench::train {

struct OneCycleOptions {
  double max_lr = 1e-3;
  std::int64_t total_steps = 1;
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool cycle_momentum = true;
  double base_momentum = 0.85;
  double max_momentum = 0.95;
};

class OneCycleSchedule {
 public:
  explicit OneCycleSchedule(const OneCycleOptions& options);
  double lr(std::int64_t step) const;
  // beta1 for Adam/AdamW (momentum for SGD); max_momentum when not cycling.
  double momentum(std::int64_t step) const;
  const OneCycleOptions& options() const { return options_; }

 private:
  // Interpolates between a phase's start and end values, as PyTorch does.
  double anneal(std::int64_t step, double warmup_start, double peak, double end) const;

  OneCycleOptions options_;
  double initial_lr_;
  double min_lr_;
  double warmup_end_step_;  // pct_start * total_steps - 1, as a float like PyTorch
};

}  // namespace trainbench::train
