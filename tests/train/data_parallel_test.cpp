#include "train/data_parallel.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace trainbench::train {
namespace {

dist::LaunchIdentity local_ranks(const std::string& launcher, int local_world_size) {
  dist::LaunchIdentity identity;
  identity.launcher = launcher;
  identity.world_size = identity.local_world_size = local_world_size;
  identity.master_address = "127.0.0.1";
  return identity;
}

TEST(RankCoreShare, LocalRanksShareTheCoresUnlessSrunBoundEachToItsOwn) {
  EXPECT_EQ(rank_core_share(std::nullopt, 8), 8);
  EXPECT_EQ(rank_core_share(local_ranks("torchrun", 2), 8), 4);
  EXPECT_EQ(rank_core_share(local_ranks("torchrun", 16), 8), 1);
  dist::LaunchIdentity slurm = local_ranks("slurm", 4);
  slurm.cpus_on_node = 32;
  EXPECT_EQ(rank_core_share(slurm, 32), 8);  // not bound: every task sees the job's 32
  EXPECT_EQ(rank_core_share(slurm, 8), 8);   // bound by srun to 8: not divided again
  slurm.cpus_on_node.reset();
  EXPECT_EQ(rank_core_share(slurm, 8), 2);   // nothing to tell: shared
}

TEST(GradientReducerOptions, BucketSizeFollowsDdpsRuleAndBadValuesAreRefused) {
  const dist::GradientReducerOptions standard = gradient_reducer_options(kDefaultBucketMb, "none", false);
  EXPECT_EQ(standard.bucket_bytes, 25 * 1024 * 1024);
  EXPECT_EQ(standard.first_bucket_bytes, 1024 * 1024);
  const dist::GradientReducerOptions chosen = gradient_reducer_options(4, "fp16", true);
  EXPECT_EQ(chosen.bucket_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(chosen.first_bucket_bytes, 4 * 1024 * 1024);  // DDP: a bucket_cap_mb given sizes the first too
  EXPECT_EQ(chosen.compression, dist::GradientCompression::kFp16);
  EXPECT_TRUE(chosen.find_unused_parameters);
  EXPECT_THROW(gradient_reducer_options(0, "none", false), UsageError);
  EXPECT_THROW(gradient_reducer_options(25, "int8", false), UsageError);
}

}  // namespace
}  // namespace trainbench::train
