#include "models/batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dist/statistics_sync.h"
#include "dist/thread_ranks.h"

namespace trainbench::models {
namespace {

// Conv, synced batch norm, a mean loss: two ranks of 3 images against one
// process of all 6, same weights.
struct Net : torch::nn::Module {
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)));
    norm = register_module("norm", BatchNorm2d(4));
  }
  torch::Tensor forward(const torch::Tensor& x) { return norm(conv(x)); }
  torch::nn::Conv2d conv{nullptr};
  BatchNorm2d norm{nullptr};
};

struct Result {
  torch::Tensor output, conv_grad, weight_grad, bias_grad, running_mean, running_var;
};

Result step(Net& net, const torch::Tensor& input, const torch::Tensor& target, double loss_scale) {
  net.train();
  torch::Tensor output = net.forward(input);
  // Per-rank mean over its share, so the ranks' average equals the whole mean.
  ((output - target).square().mean() * loss_scale).backward();
  return {output.detach(), net.conv->weight.grad().clone(), net.norm->weight.grad().clone(),
          net.norm->bias.grad().clone(), net.norm->running_mean.clone(), net.norm->running_var.clone()};
}

void copy_weights(Net& to, const Net& from) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < to.parameters().size(); ++i) to.parameters()[i].copy_(from.parameters()[i]);
}

TEST(SyncBatchNorm, TwoRanksOfThreeImagesEqualOneProcessOfSix) {
  torch::manual_seed(3);
  const torch::Tensor input = torch::randn({6, 3, 5, 5}) * 2 + 5;  // a large mean: no cancellation allowed
  const torch::Tensor target = torch::randn({6, 4, 3, 3});
  Net reference;
  {
    torch::NoGradGuard no_grad;
    reference.norm->weight.uniform_(0.5, 1.5);
    reference.norm->bias.uniform_(-0.5, 0.5);
  }
  Net whole;
  copy_weights(whole, reference);
  const Result expected = step(whole, input, target, 1.0);

  std::vector<Result> results(2);
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<dist::Communicator>& communicator) {
    Net net;
    copy_weights(net, reference);
    EXPECT_EQ(synchronize_batch_norms(net, std::make_shared<dist::CommunicatorStatisticsSync>(communicator)), 1);
    // Gradients are then averaged over the 2 ranks: 0.5 stands in for that here.
    results[static_cast<std::size_t>(rank)] =
        step(net, input.narrow(0, 3 * rank, 3), target.narrow(0, 3 * rank, 3), 1.0);
  });
  const torch::Tensor output = torch::cat({results[0].output, results[1].output});
  EXPECT_TRUE(torch::allclose(output, expected.output, 1e-5, 1e-5))
      << (output - expected.output).abs().max().item<double>();
  for (const Result& result : results) {
    EXPECT_TRUE(torch::allclose(result.running_mean, expected.running_mean, 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(result.running_var, expected.running_var, 1e-5, 1e-6));
  }
  // The average of the ranks' gradients is the whole batch's gradient.
  const auto average = [&](torch::Tensor Result::*field) { return (results[0].*field + results[1].*field) / 2; };
  EXPECT_TRUE(torch::allclose(average(&Result::conv_grad), expected.conv_grad, 1e-4, 1e-6))
      << (average(&Result::conv_grad) - expected.conv_grad).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(average(&Result::weight_grad), expected.weight_grad, 1e-4, 1e-6));
  EXPECT_TRUE(torch::allclose(average(&Result::bias_grad), expected.bias_grad, 1e-4, 1e-6));
  // Without the sync each rank normalises with its own half: not the same.
  Net local;
  copy_weights(local, reference);
  const Result alone = step(local, input.narrow(0, 0, 3), target.narrow(0, 0, 3), 1.0);
  EXPECT_FALSE(torch::allclose(alone.output, expected.output.narrow(0, 0, 3), 1e-3, 1e-3));
}

TEST(SyncBatchNorm, EvaluationAndASingleRankUseThePlainBatchNorm) {
  torch::manual_seed(4);
  const torch::Tensor input = torch::randn({4, 3, 5, 5});
  Net plain, synced;
  copy_weights(synced, plain);
  testing::run_thread_ranks(1, [&](int, const std::shared_ptr<dist::Communicator>& communicator) {
    synchronize_batch_norms(synced, std::make_shared<dist::CommunicatorStatisticsSync>(communicator));
    EXPECT_TRUE(torch::equal(plain.forward(input), synced.forward(input)));
    plain.eval();
    synced.eval();
    EXPECT_TRUE(torch::equal(plain.forward(input), synced.forward(input)));
  });
}

}  // namespace
}  // namespace trainbench::models
