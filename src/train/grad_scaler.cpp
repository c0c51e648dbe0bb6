#include "train/grad_scaler.h"

#include <ATen/ops/_amp_foreach_non_finite_check_and_unscale.h>
#include <ATen/ops/_amp_update_scale.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/error.h"

namespace trainbench::train {
namespace {

// ATen's fused kernels (one launch for all gradients of a dtype, one for the
// scale update, no host sync) are registered for CUDA only in LibTorch 1.13:
// native_functions.yaml dispatches _amp_foreach_non_finite_check_and_unscale_
// and _amp_update_scale_ to CUDA alone, so on CPU they throw "Could not run
// ... with arguments from the 'CPU' backend". Later 2.x releases add CPU
// kernels, but every other device type would still miss them. Even on CUDA
// the unscale kernel takes float, double and half only (2.11 too: "not
// implemented for 'BFloat16'", where PyTorch's GradScaler would fail), so
// bfloat16 gradients go the unfused way. The unfused versions below compute
// the same numbers with ordinary tensor ops; what the fused ones save is
// kernel launches, which only matter on the GPU.
bool use_fused_amp_kernels(const torch::Device& device, torch::ScalarType dtype) {
  return device.is_cuda() && (dtype == torch::kFloat || dtype == torch::kDouble || dtype == torch::kHalf);
}

bool is_reduced_float(torch::ScalarType type) { return type == torch::kHalf || type == torch::kBFloat16; }

// Same contract as at::_amp_foreach_non_finite_check_and_unscale_: multiplies
// each grad (all of one dtype) by inv_scale in place and sets found_inf to 1
// if any element was inf/NaN before scaling; never clears found_inf.
void non_finite_check_and_unscale(const std::vector<torch::Tensor>& grads, torch::Tensor& found_inf,
                                  const torch::Tensor& inv_scale) {
  if (grads.empty()) {
    return;
  }
  if (use_fused_amp_kernels(grads.front().device(), grads.front().scalar_type())) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inv_scale);
    return;
  }
  std::vector<torch::Tensor> all_finite;
  all_finite.reserve(grads.size());
  for (const torch::Tensor& grad : grads) {
    // Checked before scaling: with a scale below 1 a finite gradient could
    // overflow on the way and be blamed on the backward pass.
    all_finite.push_back(torch::isfinite(grad).all());
    if (is_reduced_float(grad.scalar_type())) {
      // The kernels multiply half/bfloat16 values in float32 and round once;
      // LibTorch 1.13's in-place mul_ rounds inv_scale to the grad's dtype first.
      grad.copy_(grad.to(torch::kFloat).mul_(inv_scale));
    } else {
      grad.mul_(inv_scale);
    }
  }
  const torch::Tensor any_non_finite = torch::stack(all_finite).all().logical_not();
  found_inf.copy_(torch::maximum(found_inf, any_non_finite.to(found_inf.scalar_type())));
}

// Same contract as at::_amp_update_scale_ (scale float32, growth_tracker int32,
// both updated in place on their device, no host sync). The factor products
// are taken in float64 and rounded to float32 once, as the kernels do
// (float * double in C++), and a grown scale that would be inf in float32 is
// not taken, though the tracker still restarts.
void update_scale(torch::Tensor& scale, torch::Tensor& growth_tracker, const torch::Tensor& found_inf,
                  double growth_factor, double backoff_factor, std::int64_t growth_interval) {
  if (use_fused_amp_kernels(scale.device(), scale.scalar_type())) {
    at::_amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor, growth_interval);
    return;
  }
  const torch::Tensor found = found_inf.ne(0);
  const torch::Tensor successful = growth_tracker + 1;
  const torch::Tensor grow = found.logical_not().logical_and(successful.eq(growth_interval));
  const torch::Tensor scale64 = scale.to(torch::kDouble);
  const torch::Tensor backed_off = scale64.mul(backoff_factor).to(torch::kFloat);
  const torch::Tensor grown = scale64.mul(growth_factor).to(torch::kFloat);
  const torch::Tensor zero = torch::zeros_like(growth_tracker);
  const torch::Tensor new_scale =
      torch::where(found, backed_off, torch::where(grow.logical_and(torch::isfinite(grown)), grown, scale));
  const torch::Tensor new_tracker = torch::where(found.logical_or(grow), zero, successful.to(growth_tracker.scalar_type()));
  scale.copy_(new_scale);
  growth_tracker.copy_(new_tracker);
}

bool is_whole(double value) { return std::isfinite(value) && value == std::floor(value); }

double state_value(const std::map<std::string, double>& state, const std::string& key) {
  const auto it = state.find(key);
  if (it == state.end()) {
    throw RunError("grad scaler state has no '" + key + "'");
  }
  return it->second;
}

}  // namespace

GradScaler::GradScaler(const torch::Device& device, GradScalerOptions options) : options_(options) {
  if (!(options_.growth_factor > 1.0)) {
    throw UsageError("grad scaler growth factor must be > 1, got " + std::to_string(options_.growth_factor));
  }
  if (!(options_.backoff_factor < 1.0)) {
    throw UsageError("grad scaler backoff factor must be < 1, got " + std::to_string(options_.backoff_factor));
  }
  // The kernels compare an int32 tracker with the interval: outside int32 (or
  // below 1) the scale would never grow.
  if (options_.growth_interval < 1 || options_.growth_interval > std::numeric_limits<std::int32_t>::max()) {
    throw UsageError("grad scaler growth interval must be between 1 and 2^31-1, got " +
                     std::to_string(options_.growth_interval));
  }
  // 0-dim like PyTorch 2.x, so scale(loss) keeps a scalar loss scalar.
  scale_ = torch::full({}, options_.init_scale, torch::TensorOptions().dtype(torch::kFloat).device(device));
  growth_tracker_ = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt).device(device));
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const {
  return loss * scale_.to(loss.device(), /*non_blocking=*/true);
}

GradScaler::Stage GradScaler::stage(const torch::optim::Optimizer& optimizer) const {
  const auto it = step_states_.find(&optimizer);
  return it == step_states_.end() ? Stage::kReady : it->second.stage;
}

void GradScaler::unscale(torch::optim::Optimizer& optimizer) {
  switch (stage(optimizer)) {
    case Stage::kUnscaled:
      throw std::logic_error("GradScaler::unscale() has already been called on this optimizer since the last update()");
    case Stage::kStepped:
      throw std::logic_error("GradScaler::unscale() is being called after step()");
    case Stage::kReady:
      break;
  }

  const torch::NoGradGuard no_grad;
  const torch::Device device = scale_.device();
  std::map<torch::ScalarType, std::vector<torch::Tensor>> grads_by_dtype;  // the fused kernel wants one dtype
  std::unordered_set<const void*> seen;  // a parameter listed in two groups is unscaled once
  for (auto& group : optimizer.param_groups()) {
    for (auto& param : group.params()) {
      const torch::Tensor& grad = param.grad();
      if (!grad.defined() || !seen.insert(grad.unsafeGetTensorImpl()).second) {
        continue;
      }
      if (grad.scalar_type() == torch::kHalf) {
        throw std::invalid_argument("GradScaler: attempting to unscale float16 gradients (keep parameters float32)");
      }
      if (grad.device() != device) {
        throw std::invalid_argument("GradScaler on " + device.str() + " got a gradient on " + grad.device().str());
      }
      // A sparse gradient is unscaled through its values (uncoalesced
      // duplicates each scale alike, so the sum stays right).
      torch::Tensor values = grad.is_sparse() ? grad._values() : grad;
      grads_by_dtype[values.scalar_type()].push_back(std::move(values));
    }
  }

  // The reciprocal in float64 and then float32, as PyTorch does: float32
  // division can be imprecise under some compile options.
  const torch::Tensor inv_scale = scale_.to(torch::kDouble).reciprocal().to(torch::kFloat);
  torch::Tensor found_inf = torch::zeros({}, scale_.options());
  for (const auto& [dtype, grads] : grads_by_dtype) {
    non_finite_check_and_unscale(grads, found_inf, inv_scale);
  }
  // Recorded only now, so a call that threw above leaves no half-done state.
  step_states_[&optimizer] = OptimizerStepState{Stage::kUnscaled, std::move(found_inf)};
}

bool GradScaler::step(torch::optim::Optimizer& optimizer) {
  const Stage current = stage(optimizer);
  if (current == Stage::kStepped) {
    throw std::logic_error("GradScaler::step() has already been called since the last update()");
  }
  if (current == Stage::kReady) {
    unscale(optimizer);
  }
  OptimizerStepState& state = step_states_.at(&optimizer);
  state.stage = Stage::kStepped;
  // The one host sync of a step: whether to run the optimizer is a host decision.
  if (state.found_inf.item<float>() != 0.0f) {
    ++skipped_steps_;
    return false;
  }
  optimizer.step();
  return true;
}

void GradScaler::update() {
  if (step_states_.empty()) {
    throw std::logic_error("GradScaler::update(): no unscale() or step() since the last update()");
  }
  // Any optimizer's inf/NaN backs the scale off (PyTorch sums its found_inf
  // tensors; the kernels only ask whether the sum is nonzero).
  torch::Tensor found_inf = torch::zeros({}, scale_.options());
  for (const auto& [optimizer, state] : step_states_) {
    found_inf.add_(state.found_inf);
  }
  update_scale(scale_, growth_tracker_, found_inf, options_.growth_factor, options_.backoff_factor,
               options_.growth_interval);
  step_states_.clear();
}

double GradScaler::current_scale() const { return static_cast<double>(scale_.item<float>()); }

std::map<std::string, double> GradScaler::state() const {
  return {{"scale", current_scale()},
          {"growth_tracker", static_cast<double>(growth_tracker_.item<std::int32_t>())},
          {"skipped_steps", static_cast<double>(skipped_steps_)}};
}

void GradScaler::load_state(const std::map<std::string, double>& state) {
  const double scale = state_value(state, "scale");
  const double tracker = state_value(state, "growth_tracker");
  const double skipped = state_value(state, "skipped_steps");
  if (!(scale > 0.0) || !(scale <= static_cast<double>(std::numeric_limits<float>::max()))) {
    throw RunError("grad scaler state has an impossible scale " + std::to_string(scale));
  }
  // A tracker at or past the interval would never equal it again, and the
  // scale would stop growing: the checkpoint is from a different setting.
  if (!is_whole(tracker) || tracker < 0 || tracker >= static_cast<double>(options_.growth_interval)) {
    throw RunError("grad scaler state has growth tracker " + std::to_string(tracker) +
                   ", which does not fit growth interval " + std::to_string(options_.growth_interval));
  }
  if (!is_whole(skipped) || skipped < 0 || skipped > 9007199254740992.0 /* 2^53 */) {
    throw RunError("grad scaler state has an impossible skipped-step count " + std::to_string(skipped));
  }
  scale_.fill_(scale);
  growth_tracker_.fill_(static_cast<std::int64_t>(tracker));
  skipped_steps_ = static_cast<std::int64_t>(skipped);
}

}  // namespace trainbench::train
