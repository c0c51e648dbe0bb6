#include "train/train_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>

#include "dist/gradient_reducer.h"
#include "dist/thread_ranks.h"

namespace trainbench::train {
namespace {

TEST(MicroBatches, SplitEvenlyInOrderKeepingTheLayout) {
  DeviceBatch batch{torch::randn({7, 3, 4, 4}).contiguous(torch::MemoryFormat::ChannelsLast),
                    torch::arange(7, torch::kInt64)};
  const std::vector<DeviceBatch> parts = micro_batches(batch, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].labels.size(0), 3);
  EXPECT_EQ(parts[1].labels.size(0), 2);
  EXPECT_EQ(parts[2].labels.size(0), 2);
  EXPECT_TRUE(torch::equal(torch::cat({parts[0].labels, parts[1].labels, parts[2].labels}), batch.labels));
  EXPECT_TRUE(torch::equal(parts[1].inputs, batch.inputs.narrow(0, 3, 2)));
  for (const DeviceBatch& part : parts) EXPECT_TRUE(part.inputs.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_EQ(micro_batches(batch, 1).size(), 1u);
}

// No batch norm: two micro-batches of B then sum to exactly the gradient of
// one batch of 2B.
struct SmallConvNet : torch::nn::Module {
  SmallConvNet() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)));
    fc = register_module("fc", torch::nn::Linear(4 * 4 * 4, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc(torch::relu(conv(x)).flatten(1)); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
};

// K steps of AdamW on 2 ranks with batches of 8 per rank, each step as one
// batch or (`micro`) as 2 micro-batches of 4 whose first backward pass is not
// reduced. Returns rank 0's weights; `reductions` counts the buckets reduced.
std::vector<torch::Tensor> train_two_ranks(int micro, std::size_t* reductions) {
  constexpr int kSteps = 3;
  std::vector<std::vector<DeviceBatch>> batches(2);  // [rank][step]
  torch::manual_seed(3);
  for (auto& rank_batches : batches) {
    for (int step = 0; step < kSteps; ++step) {
      rank_batches.push_back({torch::randn({8, 3, 6, 6}), torch::randint(0, 3, {8}, torch::kInt64)});
    }
  }
  torch::manual_seed(11);
  SmallConvNet initial;
  std::vector<torch::Tensor> weights;
  std::atomic<std::size_t> reduced{0};
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<dist::Communicator>& communicator) {
    SmallConvNet net;
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < net.parameters().size(); ++i) net.parameters()[i].copy_(initial.parameters()[i]);
    }
    torch::optim::AdamW optimizer(net.parameters(), torch::optim::AdamWOptions(1e-2));
    dist::GradientReducer reducer(communicator, net.parameters());
    for (int step = 0; step < kSteps; ++step) {
      const DeviceBatch& batch = batches[static_cast<std::size_t>(rank)][static_cast<std::size_t>(step)];
      const std::vector<DeviceBatch> parts = micro_batches(batch, micro);
      clear_gradients(optimizer);
      for (std::size_t k = 0; k < parts.size(); ++k) {
        const bool reduced_pass = k + 1 == parts.size();
        if (reduced_pass) reducer.prepare_for_forward();
        const double share = static_cast<double>(parts[k].labels.size(0)) / batch.labels.size(0);
        const torch::Tensor loss =
            torch::nn::functional::cross_entropy(net.forward(parts[k].inputs), parts[k].labels) * share;
        if (reduced_pass) reducer.prepare_for_backward({loss});
        accumulate_backward(loss, nullptr);
      }
      reducer.finish_backward();
      if (rank == 0) reduced += reducer.last_bucket_starts().size();
      optimizer.step();
    }
    if (rank == 0) {
      for (const torch::Tensor& parameter : net.parameters()) weights.push_back(parameter.detach().clone());
    }
  });
  *reductions = reduced;
  return weights;
}

TEST(Accumulate, TwoMicroBatchesOfBGiveTheWeightsOfOneBatchOf2BWithOneReductionAStep) {
  std::size_t whole_reductions = 0, micro_reductions = 0;
  const std::vector<torch::Tensor> whole = train_two_ranks(1, &whole_reductions);
  const std::vector<torch::Tensor> micro = train_two_ranks(2, &micro_reductions);
  ASSERT_EQ(whole.size(), micro.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_TRUE(torch::allclose(whole[i], micro[i], 1e-5, 1e-6))
        << "parameter " << i << ": largest difference " << (whole[i] - micro[i]).abs().max().item<double>();
  }
  // Both reduce once a step (one bucket here): half of what 6 steps of -b 4 would.
  EXPECT_EQ(whole_reductions, 3u);
  EXPECT_EQ(micro_reductions, 3u);
}

}  // namespace
}  // namespace trainbench::train
