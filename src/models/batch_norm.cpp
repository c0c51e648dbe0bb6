#include "models/batch_norm.h"

#include <torch/torch.h>

#include <cstdint>

namespace trainbench::models {
namespace {

// The sum over ranks as an autograd operation. Each rank's output is the sum
// of every rank's input, so the gradient reaching a rank's input is the sum
// of every rank's output gradient: the backward pass is the same all-reduce.
// Summed that way, and with the gradients then averaged over the ranks (as
// the gradient reducer does), each parameter gets the gradient of the mean
// loss over the whole global batch.
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
  // The sync travels as an address: autograd's saved data holds IValues. The
  // module owning it outlives every backward pass through it.
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& input,
                               std::int64_t sync_address) {
    context->saved_data["sync"] = sync_address;
    torch::Tensor sum = input.contiguous().clone();
    reinterpret_cast<StatisticsSync*>(sync_address)->all_reduce_sum(sum);
    return sum;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    auto* sync = reinterpret_cast<StatisticsSync*>(context->saved_data["sync"].toInt());
    torch::Tensor sum = gradients[0].contiguous().clone();
    sync->all_reduce_sum(sum);
    return {sum, torch::Tensor()};
  }
};

}  // namespace

BatchNorm2dImpl::BatchNorm2dImpl(std::int64_t features, double eps, double momentum)
    : features(features), eps(eps), momentum(momentum) {
  reset();
}

void BatchNorm2dImpl::reset() {
  // The order of torch::nn::BatchNorm2d: parameters, then buffers.
  weight = register_parameter("weight", torch::ones({features}));
  bias = register_parameter("bias", torch::zeros({features}));
  running_mean = register_buffer("running_mean", torch::zeros({features}));
  running_var = register_buffer("running_var", torch::ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "BatchNorm2d(" << features << ", eps=" << eps << ", momentum=" << momentum
         << (sync_ ? ", synchronized" : "") << ")";
}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& input) {
  TORCH_CHECK(input.dim() == 4, "BatchNorm2d expects a 4-D input, got ", input.dim(), "-D");
  if (sync_ && is_training() && sync_->world_size() > 1) return synchronized_forward(input);
  if (is_training()) {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
  }
  return torch::batch_norm(input, weight, bias, running_mean, running_var, is_training(), momentum, eps,
                           at::globalContext().userEnabledCuDNN());
}

torch::Tensor BatchNorm2dImpl::synchronized_forward(const torch::Tensor& input) {
  const std::int64_t channels = input.size(1);
  const std::int64_t world = sync_->world_size();
  // Statistics in fp32 whatever autocast gives us, as cuDNN's batch norm keeps them.
  const torch::Tensor x = input.to(torch::kFloat);
  const torch::Tensor local_count = torch::full({1}, static_cast<double>(x.numel() / channels), x.options());
  // Each rank's mean and sum of squared deviations (two passes: no
  // cancellation when the mean is large next to the spread) ...
  const torch::Tensor local_mean = x.mean({0, 2, 3});
  const torch::Tensor local_m2 = (x - local_mean.view({1, channels, 1, 1})).square().sum({0, 2, 3});
  // ... gathered into a [world, 2C+1] table: zeros except this rank's row, summed over ranks.
  torch::Tensor row = torch::cat({local_mean, local_m2, local_count}).unsqueeze(0);
  const std::int64_t rank = sync_->rank();
  torch::Tensor table = torch::cat({torch::zeros({rank, 2 * channels + 1}, x.options()), row,
                                    torch::zeros({world - rank - 1, 2 * channels + 1}, x.options())});
  table = AllReduceSum::apply(table, reinterpret_cast<std::int64_t>(sync_.get()));
  // ... and combined as Chan et al.'s parallel variance does.
  const torch::Tensor counts = table.select(1, 2 * channels).unsqueeze(1);  // [world, 1]
  const torch::Tensor means = table.narrow(1, 0, channels);
  const torch::Tensor m2s = table.narrow(1, channels, channels);
  const torch::Tensor total = counts.sum();
  const torch::Tensor mean = (means * counts).sum(0) / total;
  const torch::Tensor m2 = m2s.sum(0) + (counts * (means - mean).square()).sum(0);
  const torch::Tensor variance = m2 / total;

  {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
    const torch::Tensor unbiased = m2 / (total - 1);
    running_mean.mul_(1 - momentum).add_(mean.detach().to(running_mean.dtype()), momentum);
    running_var.mul_(1 - momentum).add_(unbiased.detach().to(running_var.dtype()), momentum);
  }
  torch::Tensor y = (x - mean.view({1, channels, 1, 1})) * torch::rsqrt(variance + eps).view({1, channels, 1, 1});
  y = y * weight.view({1, channels, 1, 1}) + bias.view({1, channels, 1, 1});
  return y.to(input.scalar_type());
}

int synchronize_batch_norms(torch::nn::Module& model, const std::shared_ptr<StatisticsSync>& sync) {
  int count = 0;
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (auto* norm = dynamic_cast<BatchNorm2dImpl*>(module.get())) {
      norm->synchronize_with(sync);
      ++count;
    }
  }
  return count;
}

}  // namespace trainbench::models
