#include "bench/out_of_memory.h"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <vector>

#include "bench/peak_memory.h"

namespace trainbench::bench {
namespace {

TEST(OutOfMemory, HalvesTheBatchUntilItFits) {
  std::vector<int> tried;
  int released = 0;
  const BackoffOutcome outcome = run_with_oom_backoff(
      256, true,
      [&](int batch) {
        tried.push_back(batch);
        if (batch > 48) throw std::runtime_error("CUDA out of memory");
      },
      [&] { ++released; });
  EXPECT_EQ(tried, (std::vector<int>{256, 128, 64, 32}));
  EXPECT_EQ(released, 3);
  EXPECT_EQ(outcome.batch_size, 32);
  EXPECT_EQ(outcome.note, "out of memory at batch 256, 128, 64: ran at 32");
}

TEST(OutOfMemory, FirstTryLeavesNoNote) {
  const BackoffOutcome outcome = run_with_oom_backoff(32, true, [](int) {}, {});
  EXPECT_EQ(outcome.batch_size, 32);
  EXPECT_EQ(outcome.note, "");
}

TEST(OutOfMemory, WithoutRetryOrAtBatchOneTheErrorPassesThrough) {
  int calls = 0;
  auto always_oom = [&](int) {
    ++calls;
    throw std::runtime_error("out of memory");
  };
  EXPECT_THROW(run_with_oom_backoff(64, false, always_oom, {}), std::runtime_error);
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THROW(run_with_oom_backoff(8, true, always_oom, {}), std::runtime_error);
  EXPECT_EQ(calls, 4);  // 8, 4, 2, 1
}

TEST(OutOfMemory, OtherErrorsAreNotRetried) {
  int calls = 0;
  EXPECT_THROW(run_with_oom_backoff(
                   64, true,
                   [&](int) {
                     ++calls;
                     throw std::invalid_argument("bad shape");
                   },
                   {}),
               std::invalid_argument);
  EXPECT_EQ(calls, 1);
}

TEST(PeakMemory, ParsesVmHwm) {
  EXPECT_EQ(parse_peak_rss_bytes("Name:\ttrainbench\nVmPeak:\t 9000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 100 kB\n"),
            51200 * 1024);
  EXPECT_FALSE(parse_peak_rss_bytes("Name:\tx\n").has_value());
}

TEST(PeakMemory, CpuPeakSeesAnAllocationMadeAfterTheReset) {
  const PeakMemoryMeter meter(torch::kCPU);
  ASSERT_TRUE(meter.source() == "process-rss" || meter.source() == "process-rss-since-start");
  const std::int64_t before = meter.peak_bytes().value();
  {
    // 256 MiB touched page by page, then freed: the peak keeps it.
    at::Tensor big = at::ones({256 * 1024 * 1024}, at::kByte);
    ASSERT_EQ(big[12345].item<int>(), 1);
  }
  const std::int64_t after = meter.peak_bytes().value();
  EXPECT_GE(after - before, 200ll * 1024 * 1024);
}

}  // namespace
}  // namespace trainbench::bench
