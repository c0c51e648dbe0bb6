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

}  // namespace

AdamWKind default_adamw_kind(const torch::Device& device) {
  return device.is_cpu() ? AdamWKind::kPlain : AdamWKind::kMultiTensor;
}

std::string to_string(AdamWKind kind) { return kind == AdamWKind::kPlain ? "plain" : "multi-tensor"; }

torch::Tensor MultiTensorAdamW::step(LossClosure closure) {
  for (const auto& group : param_groups()) {
    if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) {
      return torch::optim::AdamW::step(std::move(closure));
    }
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::map<std::int64_t, UpdateLists> by_step;
    std::vector<torch::Tensor> decayed;
    for (auto& parameter : group.params()) {
      if (!parameter.grad().defined()) continue;
      TORCH_CHECK(!parameter.grad().is_sparse(), "AdamW does not support sparse gradients");
      auto& slot = state()[state_key(parameter)];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(parameter, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*slot);
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
  return std::make_unique<torch::optim::AdamW>(parameters, options);
}

}  // namespace trainbench::train
