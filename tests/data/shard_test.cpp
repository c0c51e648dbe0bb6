#include "data/shard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace trainbench::data {
namespace {

std::vector<std::int64_t> order_of(std::int64_t n) {
  // A shuffled-looking global order: 3k mod n for n coprime with 3.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = (3 * i) % n;
  return order;
}

TEST(Shard, RankRTakesEveryWthPositionOfTheGlobalOrder) {
  const auto global = order_of(10);  // 0 3 6 9 2 5 8 1 4 7
  const auto shard = shard_order(global, {1, 3, true});
  // Padded to 12: rank 1 takes positions 1, 4, 7, 10 (10 wraps to position 0).
  EXPECT_EQ(shard.positions, (std::vector<std::int64_t>{1, 4, 7, 10}));
  EXPECT_EQ(shard.samples, (std::vector<std::int64_t>{3, 2, 1, 0}));
  EXPECT_EQ(shard_size(10, {1, 3, true}), 4);
}

TEST(Shard, PaddedShardsAreEqualAndTheirUnionIsTheEpochPlusTheWrap) {
  for (int world : {1, 2, 3, 4, 7}) {
    const auto global = order_of(23);
    std::vector<std::int64_t> all;
    std::size_t size = 0;
    for (int rank = 0; rank < world; ++rank) {
      const auto shard = shard_order(global, {rank, world, true});
      if (rank == 0) size = shard.samples.size();
      EXPECT_EQ(shard.samples.size(), size) << "world " << world;
      all.insert(all.end(), shard.samples.begin(), shard.samples.end());
    }
    EXPECT_EQ(all.size(), size * static_cast<std::size_t>(world));
    EXPECT_EQ(static_cast<std::int64_t>(all.size()) - 23, (world - 23 % world) % world) << "world " << world;
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    EXPECT_EQ(all.size(), 23u) << "every sample is somewhere, world " << world;
  }
}

TEST(Shard, UnpaddedShardsCountEverySampleExactlyOnce) {
  const auto global = order_of(10);
  std::vector<std::int64_t> all;
  for (int rank = 0; rank < 4; ++rank) {
    const auto shard = shard_order(global, {rank, 4, false});
    EXPECT_EQ(static_cast<std::int64_t>(shard.samples.size()), shard_size(10, {rank, 4, false}));
    all.insert(all.end(), shard.samples.begin(), shard.samples.end());
  }
  EXPECT_EQ(shard_size(10, {0, 4, false}), 3);
  EXPECT_EQ(shard_size(10, {3, 4, false}), 2);
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(10);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}

TEST(Shard, AShardFromAMidEpochPositionDealsOutWhatTheEpochHasLeft) {
  const auto global = order_of(10);
  // Resumed at position 6 with 2 ranks: positions 6..9 are left.
  const auto rank0 = shard_order(global, {0, 2, true}, 6);
  const auto rank1 = shard_order(global, {1, 2, true}, 6);
  EXPECT_EQ(rank0.positions, (std::vector<std::int64_t>{6, 8}));
  EXPECT_EQ(rank1.positions, (std::vector<std::int64_t>{7, 9}));
  EXPECT_EQ(rank0.samples, (std::vector<std::int64_t>{8, 4}));
  EXPECT_EQ(shard_size(10, {0, 2, true}, 10), 0);
  EXPECT_TRUE(shard_order(global, {1, 2, true}, 12).samples.empty());
}

TEST(Shard, OneRankIsTheWholeEpochInOrder) {
  const auto global = order_of(8);
  EXPECT_EQ(shard_order(global, {0, 1, true}).samples, global);
}

TEST(Shard, ARankOutsideTheWorldIsAUsageError) {
  const auto global = order_of(5);
  EXPECT_THROW(shard_order(global, {2, 2, true}), UsageError);
  EXPECT_THROW(shard_order(global, {-1, 2, true}), UsageError);
  EXPECT_THROW(shard_size(5, {0, 0, true}), UsageError);
}

}  // namespace
}  // namespace trainbench::data
