#include "train/adamw.h"

#include <ATen/ATen.h>

#include <cmath>
#include <map>

#include "train/optimizer_state_key.h"

namespace trainbench::train {
namespace {

// One step's tensors, for the parameters that share a step count.
struct UpdateLists {
  std::vector<torch::Tensor> parameters;
  std::vector<torch::Tensor> gradients;
  std::vector<torch::Tensor> exp_avg;
  std::vector<torch::Tensor> exp_avg_sq;
};

// The state of `parameter` in `optimizer`, made (zero moments, step 0) on its first step.
torch::optim::AdamWParamState& adamw_state(torch::optim::AdamW& optimizer, const torch::Tensor& parameter) {
  auto& slot = optimizer.state()[state_key(parameter)];
  if (!slot) {
    auto fresh = std::make_unique<torch::optim::AdamWParamState>();
    fresh->step(0);
    fresh->exp_avg(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
    fresh->exp_avg_sq(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
    slot = std::move(fresh);
  }
  return static_cast<torch::optim::AdamWParamState&>(*slot);
}

// One step's scalars, as torch::optim::AdamW::step computes them in double.
struct AdamWStep {
  double decay;      // 1 - lr * weight_decay
  double beta1, beta2;
  double sqrt_bias_correction2;
  double eps;
  double step_size;  // lr / bias_correction1

  AdamWStep(const torch::optim::AdamWOptions& options, std::int64_t step) {
    decay = 1 - options.lr() * options.weight_decay();
    beta1 = std::get<0>(options.betas());
    beta2 = std::get<1>(options.betas());
    sqrt_bias_correction2 = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
    eps = options.eps();
    step_size = options.lr() / (1 - std::pow(beta1, static_cast<double>(step)));
  }
};

// torch::optim::AdamW::step's operations on one tensor (amsgrad off).
void update_with_tensor_ops(torch::Tensor& parameter, const torch::Tensor& gradient, torch::Tensor& exp_avg,
                            torch::Tensor& exp_avg_sq, const AdamWStep& s, bool decays) {
  if (decays) parameter.mul_(s.decay);
  exp_avg.mul_(s.beta1).add_(gradient, 1 - s.beta1);
  exp_avg_sq.mul_(s.beta2).addcmul_(gradient, gradient, 1 - s.beta2);
  const torch::Tensor denominator = (exp_avg_sq.sqrt() / s.sqrt_bias_correction2).add_(s.eps);
  parameter.addcdiv_(exp_avg, denominator, -s.step_size);
}

// Whether a parameter's update can run in one pass: a dense float32 tensor
// on the CPU. (Its moments and gradient are then brought to its layout.)
bool fusable(const torch::Tensor& parameter) {
  return parameter.device().is_cpu() && parameter.scalar_type() == torch::kFloat32 &&
         parameter.is_non_overlapping_and_dense();
}

// `tensor` in `like`'s memory layout: itself when it already is, else a copy
// (moments loaded from a checkpoint come back contiguous; a gradient may come
// back in another layout), so the four can be walked as flat arrays together.
torch::Tensor laid_out_like(const torch::Tensor& tensor, const torch::Tensor& like) {
  if (tensor.strides() == like.strides() && tensor.is_non_overlapping_and_dense()) return tensor;
  return torch::empty_like(like).copy_(tensor);
}

// The same arithmetic in one pass, element by element: each operation in
// float32 with its scalar rounded to float32, in the order of the tensor
// operations above (ATen's kernels compute a + alpha * b, a + v * b * c and
// a + v * b / c in that order, without fused multiply-adds).
void update_in_one_pass(torch::Tensor& parameter, const torch::Tensor& gradient, torch::Tensor& exp_avg,
                        torch::Tensor& exp_avg_sq, const AdamWStep& s, bool decays) {
  float* p = parameter.data_ptr<float>();
  const float* g = gradient.data_ptr<float>();
  float* m = exp_avg.data_ptr<float>();
  float* v = exp_avg_sq.data_ptr<float>();
  const auto decay = static_cast<float>(s.decay);
  const auto beta1 = static_cast<float>(s.beta1), rest1 = static_cast<float>(1 - s.beta1);
  const auto beta2 = static_cast<float>(s.beta2), rest2 = static_cast<float>(1 - s.beta2);
  const auto sqrt_bias_correction2 = static_cast<float>(s.sqrt_bias_correction2);
  const auto eps = static_cast<float>(s.eps);
  const auto step = static_cast<float>(-s.step_size);
  at::parallel_for(0, parameter.numel(), 32768, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const float param = decays ? p[i] * decay : p[i];
      const float avg = m[i] * beta1 + rest1 * g[i];
      const float avg_sq = v[i] * beta2 + rest2 * g[i] * g[i];
      const float denominator = std::sqrt(avg_sq) / sqrt_bias_correction2 + eps;
      m[i] = avg;
      v[i] = avg_sq;
      p[i] = param + step * avg / denominator;
    }
  });
}

// Whether a group asks for amsgrad, which only torch::optim::AdamW::step does.
bool any_amsgrad(const torch::optim::AdamW& optimizer) {
  for (const auto& group : optimizer.param_groups()) {
    if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) return true;
  }
  return false;
}

// The closure's loss, computed with gradients on; undefined without one.
torch::Tensor loss_of(const torch::optim::Optimizer::LossClosure& closure) {
  if (closure == nullptr) return {};
  at::AutoGradMode enable_grad(true);
  return closure();
}

}  // namespace

AdamWKind default_adamw_kind(const torch::Device& device) {
  return device.is_cpu() ? AdamWKind::kFused : AdamWKind::kMultiTensor;
}

std::string to_string(AdamWKind kind) {
  switch (kind) {
    case AdamWKind::kPlain: return "plain";
    case AdamWKind::kMultiTensor: return "multi-tensor";
    case AdamWKind::kFused: return "fused";
  }
  return "plain";
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  if (any_amsgrad(*this)) return torch::optim::AdamW::step(std::move(closure));
  const torch::Tensor loss = loss_of(closure);
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const bool decays = options.weight_decay() != 0;
    for (auto& parameter : group.params()) {
      if (!parameter.grad().defined()) continue;
      TORCH_CHECK(!parameter.grad().is_sparse(), "AdamW does not support sparse gradients");
      torch::optim::AdamWParamState& state = adamw_state(*this, parameter);
      state.step(state.step() + 1);
      const AdamWStep scalars(options, state.step());
      torch::Tensor exp_avg = state.exp_avg(), exp_avg_sq = state.exp_avg_sq();
      if (fusable(parameter)) {
        // Whatever the moments' layout, the same arithmetic runs: a resumed
        // run then takes exactly the steps an uninterrupted one would.
        exp_avg = laid_out_like(exp_avg, parameter);
        exp_avg_sq = laid_out_like(exp_avg_sq, parameter);
        state.exp_avg(exp_avg);
        state.exp_avg_sq(exp_avg_sq);
        update_in_one_pass(parameter, laid_out_like(parameter.grad(), parameter), exp_avg, exp_avg_sq, scalars,
                           decays);
      } else {
        update_with_tensor_ops(parameter, parameter.grad(), exp_avg, exp_avg_sq, scalars, decays);
      }
    }
  }
  return loss;
}

torch::Tensor MultiTensorAdamW::step(LossClosure closure) {
  if (any_amsgrad(*this)) return torch::optim::AdamW::step(std::move(closure));
  const torch::Tensor loss = loss_of(closure);
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::map<std::int64_t, UpdateLists> by_step;
    std::vector<torch::Tensor> decayed;
    for (auto& parameter : group.params()) {
      if (!parameter.grad().defined()) continue;
      TORCH_CHECK(!parameter.grad().is_sparse(), "AdamW does not support sparse gradients");
      torch::optim::AdamWParamState& state = adamw_state(*this, parameter);
      state.step(state.step() + 1);
      UpdateLists& lists = by_step[state.step()];
      lists.parameters.push_back(parameter);
      lists.gradients.push_back(parameter.grad());
      lists.exp_avg.push_back(state.exp_avg());
      lists.exp_avg_sq.push_back(state.exp_avg_sq());
      decayed.push_back(parameter);
    }
    if (decayed.empty()) continue;
    // The same operations, in the same order, as torch::optim::AdamW::step.
    const double lr = options.lr();
    if (options.weight_decay() != 0) at::_foreach_mul_(decayed, 1 - lr * options.weight_decay());
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    for (auto& [step, lists] : by_step) {
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
      at::_foreach_mul_(lists.exp_avg, beta1);
      at::_foreach_add_(lists.exp_avg, lists.gradients, 1 - beta1);
      at::_foreach_mul_(lists.exp_avg_sq, beta2);
      at::_foreach_addcmul_(lists.exp_avg_sq, lists.gradients, lists.gradients, 1 - beta2);
      std::vector<torch::Tensor> denominator = at::_foreach_sqrt(lists.exp_avg_sq);
      at::_foreach_div_(denominator, std::sqrt(bias_correction2));
      at::_foreach_add_(denominator, options.eps());
      at::_foreach_addcdiv_(lists.parameters, lists.exp_avg, denominator, -lr / bias_correction1);
    }
  }
  return loss;
}

std::unique_ptr<torch::optim::AdamW> make_adamw(const std::vector<torch::Tensor>& parameters,
                                                const torch::optim::AdamWOptions& options, AdamWKind kind) {
  if (kind == AdamWKind::kMultiTensor) return std::make_unique<MultiTensorAdamW>(parameters, options);
  if (kind == AdamWKind::kFused) return std::make_unique<FusedAdamW>(parameters, options);
  return std::make_unique<torch::optim::AdamW>(parameters, options);
}

}  // namespace trainbench::train
