#include "dist/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dist/thread_ranks.h"

namespace trainbench::dist {
namespace {

// A small network whose parameters span several buckets when they are tiny.
struct Net : torch::nn::Module {
  Net() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)));
    fc = register_module("fc", torch::nn::Linear(8 * 4 * 4, 5));
    spare = register_module("spare", torch::nn::Linear(2, 2));  // gets no gradient
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc(torch::relu(conv(x)).flatten(1)); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::Linear spare{nullptr};
};

torch::Tensor inputs_of(int rank) {
  torch::manual_seed(100 + rank);
  return torch::randn({4, 3, 6, 6});
}

// The gradients one process would get from the mean of every rank's loss.
std::vector<torch::Tensor> expected_gradients(int world_size) {
  torch::manual_seed(7);
  Net net;
  torch::Tensor loss = torch::zeros({});
  for (int rank = 0; rank < world_size; ++rank) loss = loss + net.forward(inputs_of(rank)).square().mean();
  (loss / world_size).backward();
  std::vector<torch::Tensor> gradients;
  for (const torch::Tensor& parameter : net.parameters()) {
    gradients.push_back(parameter.grad().defined() ? parameter.grad().clone() : torch::zeros_like(parameter));
  }
  return gradients;
}

void check_reduced_gradients(const GradientReducerOptions& options, std::size_t minimum_buckets) {
  const std::vector<torch::Tensor> expected = expected_gradients(2);
  // Drawn here, not in the rank threads, which would share the one generator.
  const std::vector<torch::Tensor> inputs{inputs_of(0), inputs_of(1)};
  torch::manual_seed(7);
  const Net initial;
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
    Net net;
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < net.parameters().size(); ++i) net.parameters()[i].copy_(initial.parameters()[i]);
    }
    GradientReducer reducer(communicator, net.parameters(), options);
    EXPECT_GE(reducer.bucket_count(), minimum_buckets);
    for (int step = 0; step < 2; ++step) {  // a second step reuses the buckets
      net.zero_grad();
      reducer.prepare_for_backward();
      net.forward(inputs[static_cast<std::size_t>(rank)]).square().mean().backward();
      reducer.finish_backward();
    }
    const std::vector<torch::Tensor> parameters = net.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      ASSERT_TRUE(parameters[i].grad().defined()) << "parameter " << i;
      EXPECT_TRUE(torch::allclose(parameters[i].grad(), expected[i], 1e-5, 1e-6))
          << "rank " << rank << " parameter " << i << ": largest difference "
          << (parameters[i].grad() - expected[i]).abs().max().item<double>();
    }
  });
}

TEST(GradientReducer, OneBucketGivesTheMeanOfTheRanksGradients) {
  check_reduced_gradients(GradientReducerOptions{}, 1);
}

TEST(GradientReducer, SmallBucketsStartedFromHooksGiveTheSameMean) {
  GradientReducerOptions options;
  // A bucket closes once it holds 16 bytes: 5 buckets (both spare tensors share the first).
  options.bucket_bytes = 16;
  check_reduced_gradients(options, 5);
}

TEST(GradientReducer, WithoutOverlapTheMeanIsTheSame) {
  GradientReducerOptions options;
  options.bucket_bytes = 16;
  options.overlap = false;
  check_reduced_gradients(options, 5);
}

}  // namespace
}  // namespace trainbench::dist
