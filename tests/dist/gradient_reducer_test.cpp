#include "dist/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>

#include "core/error.h"
#include "dist/thread_ranks.h"

namespace trainbench::dist {
namespace {

using Clock = GradientReducer::Clock;

// A small network whose parameters span several buckets when they are tiny;
// with `spare`, one layer the forward pass never uses.
struct Net : torch::nn::Module {
  explicit Net(bool with_spare = false) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 8, 3).padding(1)));
    fc = register_module("fc", torch::nn::Linear(8 * 4 * 4, 5));
    if (with_spare) spare = register_module("spare", torch::nn::Linear(2, 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    return fc(torch::relu(conv2(torch::relu(conv(x)))).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr}, conv2{nullptr};
  torch::nn::Linear fc{nullptr};
  torch::nn::Linear spare{nullptr};
};

torch::Tensor inputs_of(int rank, int micro_batch = 0) {
  torch::manual_seed(100 + 10 * rank + micro_batch);
  return torch::randn({4, 3, 6, 6});
}

torch::Tensor loss_of(Net& net, const torch::Tensor& inputs) { return net.forward(inputs).square().mean(); }

// One forward and backward pass whose gradients `reducer` averages, as DDP
// drives its Reducer.
void reduced_step(GradientReducer& reducer, Net& net, const torch::Tensor& inputs) {
  reducer.prepare_for_forward();
  const torch::Tensor loss = loss_of(net, inputs);
  reducer.prepare_for_backward({loss});
  loss.backward();
  reducer.finish_backward();
}

// The gradients one process gets from the mean over ranks of each rank's
// loss summed over its `micro_batches`.
std::vector<torch::Tensor> expected_gradients(int world_size, bool with_spare, int micro_batches = 1) {
  torch::manual_seed(7);
  Net net(with_spare);
  torch::Tensor loss = torch::zeros({});
  for (int rank = 0; rank < world_size; ++rank) {
    for (int k = 0; k < micro_batches; ++k) loss = loss + loss_of(net, inputs_of(rank, k));
  }
  (loss / world_size).backward();
  std::vector<torch::Tensor> gradients;
  for (const torch::Tensor& parameter : net.parameters()) {
    gradients.push_back(parameter.grad().defined() ? parameter.grad().clone() : torch::Tensor());
  }
  return gradients;
}

// Each rank's net, with the same initial weights as expected_gradients'.
void copy_initial_weights(Net& net, const Net& initial) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < net.parameters().size(); ++i) net.parameters()[i].copy_(initial.parameters()[i]);
}

void expect_gradients(Net& net, const std::vector<torch::Tensor>& expected, int rank, double rtol, double atol) {
  const std::vector<torch::Tensor> parameters = net.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (!expected[i].defined()) {
      // Unused on every rank: left without a gradient, as DDP leaves it.
      EXPECT_FALSE(parameters[i].grad().defined()) << "parameter " << i;
      continue;
    }
    ASSERT_TRUE(parameters[i].grad().defined()) << "parameter " << i;
    EXPECT_TRUE(torch::allclose(parameters[i].grad(), expected[i], rtol, atol))
        << "rank " << rank << " parameter " << i << ": largest difference "
        << (parameters[i].grad() - expected[i]).abs().max().item<double>();
  }
}

// Three steps (the first with one bucket of everything, then rebuilt ones);
// each leaves every rank with the mean of the ranks' gradients.
void check_reduced_gradients(const GradientReducerOptions& options, std::size_t minimum_buckets, bool with_spare,
                             double rtol = 1e-5, double atol = 1e-6) {
  const std::vector<torch::Tensor> expected = expected_gradients(2, with_spare);
  // Drawn here, not in the rank threads, which would share the one generator.
  const std::vector<torch::Tensor> inputs{inputs_of(0), inputs_of(1)};
  torch::manual_seed(7);
  const Net initial(with_spare);
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
    Net net(with_spare);
    copy_initial_weights(net, initial);
    GradientReducer reducer(communicator, net.parameters(), options);
    for (int step = 0; step < 3; ++step) {
      for (torch::Tensor& parameter : net.parameters()) {
        if (parameter.grad().defined()) parameter.mutable_grad().zero_();
      }
      reduced_step(reducer, net, inputs[static_cast<std::size_t>(rank)]);
      expect_gradients(net, expected, rank, rtol, atol);
    }
    EXPECT_GE(reducer.bucket_count(), minimum_buckets);
  });
}

TEST(GradientReducer, TheEnginesReducerGivesTheMeanOfTheRanksGradients) {
  check_reduced_gradients(GradientReducerOptions{}, 1, /*with_spare=*/false);
}

TEST(GradientReducer, SmallBucketsRebuiltFromTheGradientOrderGiveTheSameMean) {
  GradientReducerOptions options;
  options.bucket_bytes = options.first_bucket_bytes = 16;  // a bucket per tensor
  check_reduced_gradients(options, 6, /*with_spare=*/false);
}

TEST(GradientReducer, WithoutOverlapTheMeanIsTheSame) {
  GradientReducerOptions options;
  options.bucket_bytes = options.first_bucket_bytes = 16;
  options.overlap = false;
  check_reduced_gradients(options, 6, /*with_spare=*/false);
}

TEST(GradientReducer, UnusedParametersAreAveragedAsZerosWhenAskedFor) {
  GradientReducerOptions options;
  options.find_unused_parameters = true;
  options.bucket_bytes = options.first_bucket_bytes = 64;
  check_reduced_gradients(options, 2, /*with_spare=*/true);
}

TEST(GradientReducer, AnUnusedParameterWithoutFindUnusedIsAnErrorNamingTheFlag) {
  torch::manual_seed(7);
  const Net initial(/*with_spare=*/true);
  std::string message;
  try {
    testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
      Net net(/*with_spare=*/true);
      copy_initial_weights(net, initial);
      GradientReducer reducer(communicator, net.parameters(), GradientReducerOptions{});
      // The first step's reduction never completes (the spare layer's
      // gradient never comes); the next forward pass finds that out.
      for (int step = 0; step < 2; ++step) {
        reduced_step(reducer, net, inputs_of(rank));
      }
    });
  } catch (const RunError& error) {
    message = error.what();
  }
  EXPECT_NE(message.find("--find-unused-parameters"), std::string::npos) << message;
}

TEST(GradientReducer, Fp16OnTheWireGivesTheMeanToHalfPrecision) {
  GradientReducerOptions options;
  options.compression = GradientCompression::kFp16;
  check_reduced_gradients(options, 1, /*with_spare=*/false, 2e-3, 2e-4);
}

TEST(GradientReducer, Bf16OnTheWireIsTheMeanToBf16OrRefusedWhereTheGroupCannotSumIt) {
  GradientReducerOptions options;
  options.compression = GradientCompression::kBf16;
  try {
    check_reduced_gradients(options, 1, /*with_spare=*/false, 2e-2, 2e-3);
  } catch (const UsageError& error) {
    // Gloo in LibTorch 1.13 has no bf16 sum: refused before any step, by name.
    EXPECT_NE(std::string(error.what()).find("cannot sum"), std::string::npos) << error.what();
  }
}

TEST(GradientReducer, GradientsAreViewsIntoTheBucketsInTheParametersLayout) {
  torch::manual_seed(7);
  const Net initial;
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
    Net net;
    copy_initial_weights(net, initial);
    {
      torch::NoGradGuard no_grad;
      net.conv2->weight.set_data(net.conv2->weight.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    GradientReducer reducer(communicator, net.parameters(), GradientReducerOptions{});
    for (int step = 0; step < 2; ++step) {  // the second after the rebuild
      reduced_step(reducer, net, inputs_of(rank));
    }
    // One bucket of 25 MB holds them all: every gradient is a view of it, not a copy.
    const std::vector<torch::Tensor> parameters = net.parameters();
    for (const torch::Tensor& parameter : parameters) {
      EXPECT_TRUE(parameter.grad().is_alias_of(parameters.front().grad()));
    }
    EXPECT_TRUE(net.conv2->weight.grad().is_contiguous(torch::MemoryFormat::ChannelsLast));
  });
}

TEST(GradientReducer, ABucketsAllReduceStartsBeforeTheLastGradientIsProduced) {
  torch::manual_seed(7);
  const Net initial;
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
    Net net;
    copy_initial_weights(net, initial);
    GradientReducerOptions options;
    options.bucket_bytes = options.first_bucket_bytes = 16;
    GradientReducer reducer(communicator, net.parameters(), options);
    // The first layer's weight gradient is the last the backward pass makes.
    std::atomic<Clock::rep> last_gradient{0};
    net.conv->weight.register_hook([&](const torch::Tensor&) {
      last_gradient = Clock::now().time_since_epoch().count();
    });
    for (int step = 0; step < 2; ++step) {
      reduced_step(reducer, net, inputs_of(rank));
    }
    const std::vector<Clock::time_point>& starts = reducer.last_bucket_starts();
    ASSERT_GE(starts.size(), 2u);
    EXPECT_LT(starts.front().time_since_epoch().count(), last_gradient.load())
        << "the first bucket waited for the whole backward pass";
    EXPECT_GE(reducer.last_wait_seconds(), 0.0);
  });
}

TEST(GradientReducer, ABackwardPassNotPreparedAddsUpLocallyAndTheNextOneAveragesTheSum) {
  const std::vector<torch::Tensor> expected = expected_gradients(2, false, /*micro_batches=*/2);
  const std::vector<torch::Tensor> inputs{inputs_of(0, 0), inputs_of(0, 1), inputs_of(1, 0), inputs_of(1, 1)};
  torch::manual_seed(7);
  const Net initial;
  testing::run_thread_ranks(2, [&](int rank, const std::shared_ptr<Communicator>& communicator) {
    Net net;
    copy_initial_weights(net, initial);
    GradientReducer reducer(communicator, net.parameters(), GradientReducerOptions{});
    const auto r = static_cast<std::size_t>(rank);
    for (int step = 0; step < 2; ++step) {
      for (torch::Tensor& parameter : net.parameters()) {
        if (parameter.grad().defined()) parameter.mutable_grad().zero_();
      }
      loss_of(net, inputs[2 * r]).backward();  // not prepared: kept on this rank
      reduced_step(reducer, net, inputs[2 * r + 1]);
      expect_gradients(net, expected, rank, 1e-5, 1e-6);
    }
  });
}

TEST(GradientCompression, NamesParseAndUnknownOnesAreRefused) {
  EXPECT_EQ(parse_gradient_compression("none"), GradientCompression::kNone);
  EXPECT_EQ(parse_gradient_compression("fp16"), GradientCompression::kFp16);
  EXPECT_EQ(to_string(parse_gradient_compression("bf16")), "bf16");
  EXPECT_THROW(parse_gradient_compression("int8"), UsageError);
}

}  // namespace
}  // namespace trainbench::dist
