// The --scaling table from the rows of each world size's bench: every test
// against its own one-rank row, world sizes in order, and no efficiency
// where there is nothing to set it against.
#include "bench/scaling.h"

#include <gtest/gtest.h>

#include "bench/printers.h"

namespace trainbench::bench {
namespace {

using store::BenchRow;

BenchRow row(const std::string& model, int world_size, double images_per_sec, double wait_seconds = 0.0) {
  BenchRow r;
  r.model = model;
  r.device = "cpu";
  r.batch_size = r.requested_batch_size = 16;
  r.image_size = 64;
  r.world_size = world_size;
  // As `bench` runs by default: the machine's 4 cores shared by the local ranks.
  r.provenance.threads = 4 / world_size;
  r.images_per_sec = images_per_sec;
  if (wait_seconds > 0) r.all_reduce_wait_seconds = wait_seconds;
  return r;
}

TEST(ScalingTable, EachWorldSizeAgainstItsTestsOneRank) {
  // Two tests, the world sizes' rows out of order.
  const core::Table table = scaling_table({row("resnet18", 2, 150.0, 0.004), row("resnet18", 1, 100.0),
                                           row("resnet50", 1, 40.0), row("resnet18", 4, 240.0, 0.02),
                                           row("resnet50", 2, 80.0, 0.01)});
  ASSERT_EQ(table.rows.size(), 5u);
  const std::vector<std::pair<std::string, int>> order = {
      {"resnet18", 1}, {"resnet18", 2}, {"resnet18", 4}, {"resnet50", 1}, {"resnet50", 2}};
  for (std::size_t i = 0; i < order.size(); ++i) {
    EXPECT_EQ(table.rows[i]["model"], order[i].first) << i;
    EXPECT_EQ(table.rows[i]["world_size"], order[i].second) << i;
  }
  // CPU ranks share the cores the one rank used alone: against that one rank.
  EXPECT_DOUBLE_EQ(table.rows[0]["efficiency"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(table.rows[1]["efficiency"].get<double>(), 1.5);  // 150 / 100
  EXPECT_DOUBLE_EQ(table.rows[2]["efficiency"].get<double>(), 2.4);  // 240 / 100
  EXPECT_EQ(table.rows[1]["baseline"], "1 rank, same cores");
  EXPECT_DOUBLE_EQ(table.rows[2]["images_per_sec_per_rank"].get<double>(), 60.0);
  EXPECT_DOUBLE_EQ(table.rows[2]["all_reduce_wait_seconds"].get<double>(), 0.02);
  EXPECT_TRUE(table.rows[0]["all_reduce_wait_seconds"].is_null());
  EXPECT_DOUBLE_EQ(table.rows[4]["efficiency"].get<double>(), 2.0);  // 80 / 40
}

TEST(ScalingTable, NoEfficiencyWithoutAGoodOneRankRowAndNoFiguresForAFailedOne) {
  BenchRow failed = row("resnet18", 1, 0.0);
  failed.status = "failed";
  const core::Table table = scaling_table({failed, row("resnet18", 2, 150.0)});
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0]["status"], "failed");
  EXPECT_TRUE(table.rows[0]["images_per_sec"].is_null());
  EXPECT_TRUE(table.rows[1]["efficiency"].is_null());
  EXPECT_DOUBLE_EQ(table.rows[1]["images_per_sec"].get<double>(), 150.0);
}

TEST(ScalingTable, TheDeviceOfRankZeroDoesNotSplitATest) {
  BenchRow one = row("resnet18", 1, 100.0);
  one.device = "cuda:0";
  BenchRow two = row("resnet18", 2, 190.0);
  two.device = "cuda:0";
  BenchRow other_batch = row("resnet18", 2, 300.0);
  other_batch.requested_batch_size = other_batch.batch_size = 32;
  const core::Table table = scaling_table({one, two, other_batch});
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_DOUBLE_EQ(table.rows[1]["efficiency"].get<double>(), 0.95);  // a GPU each: 190 / (2 x 100)
  EXPECT_EQ(table.rows[1]["baseline"], "2 x 1 rank");
  EXPECT_TRUE(table.rows[2]["efficiency"].is_null());  // batch 32 has no one-rank row
}

// Ranks given a thread each (--threads 1) use more cores together than the
// one rank did: the baseline is that one rank times the cores.
TEST(ScalingTable, RanksUsingMoreCoresThanTheOneRankAreSetAgainstItTimesTheCores) {
  BenchRow one = row("resnet18", 1, 100.0);
  one.provenance.threads = 1;
  BenchRow two = row("resnet18", 2, 150.0);
  two.provenance.threads = 1;
  const core::Table table = scaling_table({one, two});
  EXPECT_DOUBLE_EQ(table.rows[1]["efficiency"].get<double>(), 0.75);  // 150 / (2 x 100)
  EXPECT_EQ(table.rows[1]["baseline"], "1 rank x 2 (the job's 2 threads / its 1)");
}

TEST(ScalingTable, MarkdownShowsTheWorldSizesAndTheirFigures) {
  const std::string text = format_markdown(scaling_table({row("resnet18", 1, 100.0), row("resnet18", 2, 150.0, 0.004)}));
  EXPECT_NE(text.find("world_size"), std::string::npos) << text;
  EXPECT_NE(text.find("efficiency"), std::string::npos) << text;
  EXPECT_NE(text.find("all-reduce wait ms"), std::string::npos) << text;
  EXPECT_NE(text.find("1.5"), std::string::npos) << text;
  EXPECT_NE(text.find("1 rank, same cores"), std::string::npos) << text;
}

}  // namespace
}  // namespace trainbench::bench
