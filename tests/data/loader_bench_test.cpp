#include "data/loader_bench.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

using testing::TempDir;

// A short benchmark counts only measured batches, over as many epochs as the
// time needs, and derives the rates from them.
TEST(LoaderBench, MeasuresImagesOverTimeAfterWarmup) {
  TempDir dir;
  std::vector<Sample> samples;
  for (int i = 0; i < 10; ++i) {
    const auto path = dir / ("img" + std::to_string(i) + ".jpg");
    write_file_bytes(path, encode_jpeg(testing::test_pattern(64, 48, i), 90));
    samples.push_back({path, i % 2});
  }
  LoaderBenchOptions options;
  options.loader.image_size = 32;
  options.loader.batch_size = 4;  // 3 batches per epoch
  options.loader.workers = 2;
  options.augment.kind = AugmentKind::kTrivialWide;
  options.seconds = 0.3;
  options.warmup_batches = 2;
  std::int64_t progress_calls = 0;
  const LoaderBenchResult r = bench_loader(samples, options, [&](double, std::int64_t) { ++progress_calls; });
  EXPECT_GE(r.seconds, 0.3);
  EXPECT_GT(r.batches, 3);  // more than one epoch in 0.3 s
  EXPECT_EQ(progress_calls, r.batches);
  // Each epoch is batches of 4, 4 and 2 images.
  EXPECT_GE(r.images, 2 * r.batches);
  EXPECT_LE(r.images, 4 * r.batches);
  EXPECT_LE(r.images - 10 * (r.batches / 3), 8);
  EXPECT_NEAR(r.images_per_sec, r.images / r.seconds, 1e-9);
  EXPECT_EQ(r.workers, 2);
  EXPECT_NEAR(r.images_per_sec_per_core, r.images_per_sec / r.cores, 1e-9);
  EXPECT_EQ(r.skipped_files, 0);
}

TEST(LoaderBench, RejectsNothingToMeasure) {
  LoaderBenchOptions options;
  EXPECT_THROW(bench_loader({}, options), DataError);
}

}  // namespace
}  // namespace trainbench::data
