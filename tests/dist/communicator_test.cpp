#include "dist/communicator.h"

#include <gtest/gtest.h>

#include <thread>
#include <torch/torch.h>

#include <chrono>

#include "core/error.h"
#include "dist/thread_ranks.h"

namespace trainbench::dist {
namespace {

using testing::run_thread_ranks;

TEST(Communicator, AllReduceSumsMinsAndMaxesAcrossThreeRanks) {
  run_thread_ranks(3, [](int rank, const std::shared_ptr<Communicator>& link) {
    Communicator& communicator = *link;
    EXPECT_EQ(communicator.rank(), rank);
    EXPECT_EQ(communicator.world_size(), 3);
    EXPECT_EQ(communicator.backend(), Backend::kGloo);
    std::vector<torch::Tensor> sums{torch::tensor({1.0f, 10.0f}) * (rank + 1), torch::full({3}, rank, torch::kInt64)};
    communicator.all_reduce(sums);
    EXPECT_TRUE(torch::equal(sums[0], torch::tensor({6.0f, 60.0f})));
    EXPECT_TRUE(torch::equal(sums[1], torch::full({3}, 3, torch::kInt64)));
    std::vector<torch::Tensor> low{torch::tensor({static_cast<double>(rank), 5.0 - rank})};
    communicator.all_reduce(low, ReduceOp::kMin);
    EXPECT_TRUE(torch::equal(low[0], torch::tensor({0.0, 3.0}, torch::kDouble)));
    std::vector<torch::Tensor> high{torch::tensor({static_cast<double>(rank)})};
    communicator.all_reduce(high, ReduceOp::kMax);
    EXPECT_EQ(high[0].item<double>(), 2.0);
    auto pending = communicator.all_reduce_async(torch::full({4}, 2.0f));
    pending->wait();
  });
}

TEST(Communicator, BroadcastGivesEveryRankTheRootsTensors) {
  run_thread_ranks(2, [](int rank, const std::shared_ptr<Communicator>& link) {
    Communicator& communicator = *link;
    std::vector<torch::Tensor> tensors{torch::full({2, 3}, rank + 7.0f), torch::arange(5) * (rank + 1)};
    communicator.broadcast(tensors, 1);
    EXPECT_TRUE(torch::equal(tensors[0], torch::full({2, 3}, 8.0f)));
    EXPECT_TRUE(torch::equal(tensors[1], torch::arange(5) * 2));
    communicator.barrier();
  });
}

// Rank `rank` of a job on a free loopback port that no other rank joins.
LaunchIdentity alone_on_loopback(int rank, int world_size) {
  LaunchIdentity identity;
  identity.rank = rank;
  identity.world_size = world_size;
  identity.master_address = "127.0.0.1";
  identity.master_port = testing::free_port();
  return identity;
}

TEST(Communicator, AMasterThatNeverStartsIsAnErrorNamingItsAddressWithinTheTimeout) {
  const LaunchIdentity identity = alone_on_loopback(1, 2);
  ConnectOptions options;
  options.timeout = std::chrono::seconds(2);
  const auto start = std::chrono::steady_clock::now();
  try {
    connect(identity, options);
    FAIL() << "connected to nobody";
  } catch (const RunError& error) {
    EXPECT_NE(std::string(error.what()).find("127.0.0.1:" + std::to_string(identity.master_port)), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("rank 0 running"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(Communicator, AMasterWhoseRanksNeverComeIsAnErrorWithinTheTimeout) {
  const LaunchIdentity identity = alone_on_loopback(0, 3);
  ConnectOptions options;
  options.timeout = std::chrono::seconds(2);
  const auto start = std::chrono::steady_clock::now();
  try {
    connect(identity, options);
    FAIL() << "rank 0 went on without its peers";
  } catch (const RunError& error) {
    EXPECT_NE(std::string(error.what()).find("for the other 2 rank(s)"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("srun"), std::string::npos) << error.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// Two ranks that disagree on the world size: the one that arrives second
// stops at once with both sizes, instead of waiting out the timeout.
TEST(Communicator, RanksStartedWithDifferentWorldSizesSayBothSizes) {
  LaunchIdentity first = alone_on_loopback(0, 2);
  LaunchIdentity second = first;
  second.rank = 1;
  second.world_size = 3;
  ConnectOptions options;
  options.timeout = std::chrono::seconds(3);
  std::string errors[2];
  auto join = [&](const LaunchIdentity& identity, std::string* error) {
    try {
      connect(identity, options);
    } catch (const RunError& e) {
      *error = e.what();
    }
  };
  std::thread rank0(join, first, &errors[0]);
  std::thread rank1(join, second, &errors[1]);
  rank0.join();
  rank1.join();
  const std::string both = errors[0] + "\n" + errors[1];
  const bool named = both.find("world size of 3, but a rank before it at 127.0.0.1:") != std::string::npos ||
                     both.find("world size of 2, but a rank before it at 127.0.0.1:") != std::string::npos;
  EXPECT_TRUE(named) << both;
  EXPECT_NE(both.find("every rank needs the same WORLD_SIZE"), std::string::npos) << both;
}

TEST(Communicator, BackendNamesResolveByDevice) {
  EXPECT_EQ(resolve_backend("auto", torch::kCPU), Backend::kGloo);
  EXPECT_EQ(resolve_backend("gloo", torch::kCPU), Backend::kGloo);
  EXPECT_THROW(resolve_backend("nccl", torch::kCPU), UsageError);
  EXPECT_THROW(resolve_backend("mpi", torch::kCPU), UsageError);
  EXPECT_EQ(to_string(Backend::kNccl), "nccl");
}

}  // namespace
}  // namespace trainbench::dist
