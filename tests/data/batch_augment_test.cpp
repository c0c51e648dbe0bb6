#include "data/batch_augment.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::vector<Sample> make_samples(const TempDir& dir, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    const fs::path path = dir / ("img" + std::to_string(i) + ".jpg");
    write_file_bytes(path, encode_jpeg(testing::test_pattern(40 + i % 7, 32, i), 90));
    samples.push_back({path, i % 3});
  }
  return samples;
}

// Every augmented training batch of an epoch, concatenated.
torch::Tensor augmented_epoch(const std::vector<Sample>& samples, int workers, int epoch, const BatchAugment& augment,
                              bool in_workers = false) {
  LoaderOptions options;
  options.image_size = 24;
  options.batch_size = 4;
  options.shuffle = true;
  options.seed = 99;
  options.workers = workers;
  options.prefetch_per_worker = 1;
  if (in_workers) {
    EXPECT_TRUE(augment_in_workers(options, augment, torch::Device(torch::kCPU)));
  }
  BatchLoader loader(samples, options, nullptr);
  loader.start_epoch(epoch);
  std::vector<torch::Tensor> batches;
  while (auto batch = loader.next()) {
    EXPECT_EQ(batch->positions.size(), static_cast<std::size_t>(batch->images.size(0)));
    EXPECT_EQ(batch->epoch, epoch);
    batches.push_back(in_workers ? batch->images : augment.apply(batch->images, *batch));
  }
  return torch::cat(batches);
}

// With a fixed seed, files, order and augmentation draws are the same for any
// number of workers; another epoch draws again.
TEST(BatchAugment, SameAugmentedBatchesForAnyNumberOfWorkers) {
  TempDir dir;
  const std::vector<Sample> samples = make_samples(dir, 23);
  BatchAugment augment;
  augment.kind = AugmentKind::kTrivialWide;
  augment.seed = 99;
  const torch::Tensor one = augmented_epoch(samples, 1, 0, augment);
  EXPECT_EQ(one.size(0), 23);
  EXPECT_TRUE(torch::equal(one, augmented_epoch(samples, 3, 0, augment)));
  // On a CPU device the workers augment (in parallel): the same images.
  EXPECT_TRUE(torch::equal(one, augmented_epoch(samples, 3, 0, augment, /*in_workers=*/true)));
  EXPECT_FALSE(torch::equal(one, augmented_epoch(samples, 1, 1, augment)));
  BatchAugment none;
  EXPECT_FALSE(torch::equal(one, augmented_epoch(samples, 1, 0, none)));  // it did augment
}

// Draws depend on (seed, epoch, position) only.
TEST(BatchAugment, DrawsComeFromSeedEpochAndPosition) {
  BatchAugment augment;
  augment.kind = AugmentKind::kTrivialWide;
  augment.seed = 5;
  Batch batch;
  batch.epoch = 2;
  batch.positions = {0, 1, 2, 3, 4, 5, 6, 7};
  const std::vector<AugmentDraw> a = augment.draws(batch);
  Batch shifted = batch;
  shifted.positions = {4, 5, 6, 7};
  const std::vector<AugmentDraw> b = augment.draws(shifted);
  ASSERT_EQ(a.size(), 8u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a[4 + i].op, b[i].op);
    EXPECT_EQ(a[4 + i].magnitude_bin, b[i].magnitude_bin);
    EXPECT_EQ(a[4 + i].negative, b[i].negative);
  }
  EXPECT_EQ(parse_augment_kind("trivial-wide"), AugmentKind::kTrivialWide);
  EXPECT_EQ(to_string(AugmentKind::kNone), "none");
  EXPECT_THROW(parse_augment_kind("randaugment"), UsageError);
}

// The scaled variant reads torchvision's 32 px as a share of 224 px; every
// other range is the workload's.
TEST(BatchAugment, TheScaledVariantTranslatesByTheImagesShareOf224Pixels) {
  const TrivialAugmentRanges workload;
  EXPECT_EQ(augment_ranges(AugmentKind::kTrivialWide, 28).translate_pixels, 32.0);
  EXPECT_EQ(augment_ranges(AugmentKind::kTrivialWideScaled, 28).translate_pixels, 4.0);
  EXPECT_EQ(augment_ranges(AugmentKind::kTrivialWideScaled, 224).translate_pixels, 32.0);
  EXPECT_NEAR(augment_ranges(AugmentKind::kTrivialWideScaled, 288).translate_pixels, 41.14, 0.01);
  const TrivialAugmentRanges scaled = augment_ranges(AugmentKind::kTrivialWideScaled, 28);
  EXPECT_EQ(scaled.shear, workload.shear);
  EXPECT_EQ(scaled.rotate_degrees, workload.rotate_degrees);
  EXPECT_EQ(scaled.brightness, workload.brightness);
  EXPECT_EQ(scaled.bins, workload.bins);
  EXPECT_EQ(parse_augment_kind("trivial-wide-scaled"), AugmentKind::kTrivialWideScaled);
  EXPECT_EQ(to_string(AugmentKind::kTrivialWideScaled), "trivial-wide-scaled");

  // The largest translation of a 28 px image: all of it with the workload's
  // 32 px, 4 columns with the scaled variant (the rest filled with 0).
  const torch::Tensor image = torch::full({1, 28, 28, 3}, 200, torch::kUInt8);
  const std::vector<AugmentDraw> largest{{AugmentOp::kTranslateX, workload.bins - 1, false}};
  const auto filled_columns = [&](AugmentKind kind) {
    const torch::Tensor out = apply_trivial_augment(image, largest, augment_ranges(kind, 28));
    return (out.select(3, 0)[0][14] == 0).sum().item<std::int64_t>();
  };
  EXPECT_EQ(filled_columns(AugmentKind::kTrivialWide), 28);
  EXPECT_EQ(filled_columns(AugmentKind::kTrivialWideScaled), 4);
}

}  // namespace
}  // namespace trainbench::data
