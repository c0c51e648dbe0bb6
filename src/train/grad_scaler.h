#pragma once
// Loss scaling for fp16 mixed precision: PyTorch's torch.cuda.amp.GradScaler
// (torch.amp.GradScaler in 2.x), which LibTorch does not ship in C++.
//
// fp16 gradients underflow to zero for small values, so the loss is multiplied
// by a large scale before backward() and the gradients are divided by it again
// before the optimizer sees them. A scale that is too large makes gradients
// overflow to inf/NaN; that step is then skipped and the scale backed off. A
// run of growth_interval clean steps grows the scale again. Same defaults and
// the same update rule as PyTorch, so a run behaves as its Python counterpart:
//
//   auto loss = criterion(model(x), y);            // under autocast
//   scaler.scale(loss).backward();
//   scaler.unscale(optimizer);                     // optional: clip grads after
//   scaler.step(optimizer);                        // skipped on inf/NaN
//   scaler.update();
//
// The scale lives on the device as a float32 tensor and is updated there, so
// a step costs one host sync (in step(), to decide whether to skip), as in
// PyTorch. Gradients must be on the scaler's device.
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace trainbench::train {

struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16
  double growth_factor = 2.0;   // must be > 1
  double backoff_factor = 0.5;  // must be < 1
  std::int64_t growth_interval = 2000;  // consecutive clean steps before growing
};

class GradScaler {
 public:
  // Throws UsageError for factors PyTorch rejects (growth <= 1, backoff >= 1)
  // and for a growth_interval outside 1..2^31-1 (the tracker is an int32 tensor).
  explicit GradScaler(const torch::Device& device, GradScalerOptions options = {});

  // loss * current scale (no host sync). A 0-dim loss stays 0-dim.
  torch::Tensor scale(const torch::Tensor& loss) const;

  // Divides every defined gradient of the optimizer's parameters by the scale
  // in place and records whether any of them holds inf/NaN. At most once per
  // optimizer per step: a second call before update() throws std::logic_error
  // (PyTorch raises RuntimeError), as does a call after step(). Throws
  // std::invalid_argument for float16 gradients (PyTorch's "Attempting to
  // unscale FP16 gradients": parameters, hence gradients, must stay float32
  // under autocast) and for gradients on another device.
  void unscale(torch::optim::Optimizer& optimizer);

  // unscale() if not done yet in this step; runs optimizer.step() unless an
  // inf/NaN was found. Returns whether it stepped. A second step() on the same
  // optimizer before update() throws std::logic_error.
  bool step(torch::optim::Optimizer& optimizer);

  // Ends the step: found inf/NaN -> scale * backoff_factor and the growth
  // tracker back to 0; otherwise tracker + 1, and when it reaches
  // growth_interval, scale * growth_factor (unless that is inf in float32) and
  // tracker 0. Then forgets which optimizers were unscaled/stepped. Throws
  // std::logic_error when no unscale()/step() happened since the last update()
  // (PyTorch's "No inf checks were recorded prior to update.").
  void update();

  double current_scale() const;  // host copy (syncs)
  std::int64_t skipped_steps() const { return skipped_steps_; }  // skipped for inf/NaN so far

  // For checkpoints: keys "scale", "growth_tracker" and "skipped_steps".
  // load_state() throws RunError for a missing key or a value that cannot be
  // one (scale not finite and > 0, counts not whole and >= 0, tracker not
  // below this scaler's growth_interval).
  std::map<std::string, double> state() const;
  void load_state(const std::map<std::string, double>& state);

  const GradScalerOptions& options() const { return options_; }

 private:
  enum class Stage { kReady, kUnscaled, kStepped };
  struct OptimizerStepState {
    Stage stage = Stage::kReady;
    torch::Tensor found_inf;  // float32 0-dim on the scaler's device: 1 if any grad was inf/NaN
  };

  Stage stage(const torch::optim::Optimizer& optimizer) const;  // kReady when not seen since update()

  GradScalerOptions options_;
  torch::Tensor scale_;           // float32, 0-dim, on the device
  torch::Tensor growth_tracker_;  // int32, 0-dim, on the device: consecutive clean steps
  std::int64_t skipped_steps_ = 0;
  // Per optimizer since the last update(), keyed by address like PyTorch's
  // id(optimizer); several optimizers may share one scaler in a step.
  std::map<const torch::optim::Optimizer*, OptimizerStepState> step_states_;  // only unscaled/stepped ones
};

}  // namespace trainbench::train
