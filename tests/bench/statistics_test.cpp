#include "bench/statistics.h"

#include <gtest/gtest.h>

namespace trainbench::bench {
namespace {

TEST(Statistics, MeanAndSampleStandardDeviation) {
  const SampleSummary summary = summarize({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0});
  EXPECT_EQ(summary.count, 8u);
  EXPECT_DOUBLE_EQ(summary.mean, 5.0);
  // Sum of squared deviations 32, over n - 1 = 7 (not n: that would be 2.0).
  EXPECT_NEAR(summary.stddev, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_DOUBLE_EQ(summary.min, 2.0);
  EXPECT_DOUBLE_EQ(summary.max, 9.0);
}

TEST(Statistics, OneOrNoSample) {
  const SampleSummary one = summarize({42.0});
  EXPECT_DOUBLE_EQ(one.mean, 42.0);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
  const SampleSummary none = summarize({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.mean, 0.0);
}

TEST(Statistics, ThroughputIsImagesOverTimeNotAMeanOfRates) {
  // Two steps of 32 images: 0.1 s and 0.3 s. Images over time: 64 / 0.4 =
  // 160/s; the mean of the per-step rates (320 and 106.7) would say 213/s.
  EXPECT_DOUBLE_EQ(throughput(64, 0.4), 160.0);
  EXPECT_DOUBLE_EQ(throughput(64, 0.0), 0.0);
}

}  // namespace
}  // namespace trainbench::bench
