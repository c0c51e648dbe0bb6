#include "data/batch_loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// n small PNGs whose label is encoded in their red level, so a batch can be
// checked against its labels.
std::vector<Sample> make_png_samples(const TempDir& dir, int n) {
  std::vector<Sample> samples;
  for (int i = 0; i < n; ++i) {
    Image image(24 + i % 5, 20);
    for (std::size_t p = 0; p < image.pixels.size(); p += 3) image.pixels[p] = static_cast<std::uint8_t>(10 * (i % 20));
    const fs::path path = dir / ("img" + std::to_string(i) + ".png");
    write_file_bytes(path, encode_png(image));
    samples.push_back({path, i});
  }
  return samples;
}

std::vector<std::int64_t> epoch_labels(BatchLoader& loader, int epoch) {
  std::vector<std::int64_t> labels;
  loader.start_epoch(epoch);
  while (auto batch = loader.next()) {
    EXPECT_EQ(batch->images.size(0), batch->labels.size(0));
    for (std::int64_t i = 0; i < batch->labels.size(0); ++i) labels.push_back(batch->labels[i].item<std::int64_t>());
  }
  return labels;
}

TEST(BatchLoader, ShapesAndContents) {
  TempDir dir;
  LoaderOptions options;
  options.image_size = 16;
  options.batch_size = 4;
  BatchLoader loader(make_png_samples(dir, 10), options, nullptr);
  EXPECT_EQ(loader.batches_per_epoch(), 3);
  loader.start_epoch(0);
  auto first = loader.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->images.sizes(), (std::vector<std::int64_t>{4, 16, 16, 3}));
  EXPECT_EQ(first->images.dtype(), torch::kUInt8);
  // Unshuffled: sample i, whose red level is 10 * i.
  EXPECT_EQ(first->images[2][8][8][0].item<int>(), 20);
  EXPECT_EQ(first->labels[2].item<std::int64_t>(), 2);
  loader.next();
  auto last = loader.next();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->images.size(0), 2);  // the short last batch is kept
  EXPECT_FALSE(loader.next());
}

// The order depends only on the seed and epoch, never on the worker count.
TEST(BatchLoader, SameBatchesForAnyNumberOfWorkers) {
  TempDir dir;
  const std::vector<Sample> samples = make_png_samples(dir, 37);
  LoaderOptions options;
  options.image_size = 12;
  options.batch_size = 5;
  options.shuffle = true;
  options.seed = 7;
  options.workers = 1;
  BatchLoader one(samples, options, nullptr);
  options.workers = 4;
  options.prefetch_per_worker = 1;
  BatchLoader four(samples, options, nullptr);
  const auto a = epoch_labels(one, 0);
  EXPECT_EQ(a, epoch_labels(four, 0));
  EXPECT_EQ(a.size(), 37u);
  EXPECT_NE(a, epoch_labels(one, 1));  // a new order each epoch
  EXPECT_EQ(epoch_labels(one, 1), epoch_labels(four, 1));
  std::vector<std::int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 37; ++i) EXPECT_EQ(sorted[i], i);
}

TEST(BatchLoader, BadFilesAreSkippedAndRecorded) {
  TempDir dir;
  std::vector<Sample> samples = make_png_samples(dir, 6);
  write_file_bytes(dir / "broken.jpg", {0xFF, 0xD8, 0xFF, 0x00});
  samples.insert(samples.begin() + 2, Sample{dir / "broken.jpg", 99});
  samples.push_back({dir / "missing.png", 98});
  auto skipped = std::make_shared<SkippedFiles>();
  LoaderOptions options;
  options.image_size = 8;
  options.batch_size = 3;
  options.workers = 2;
  BatchLoader loader(samples, options, skipped);
  const auto labels = epoch_labels(loader, 0);
  EXPECT_EQ(labels, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(skipped->count(), 2u);
  epoch_labels(loader, 1);
  EXPECT_EQ(skipped->count(), 2u);  // recorded once, not once per epoch
  // Listed by path, whichever worker met them first.
  const std::vector<SkippedFile> listed = skipped->first(5);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_NE(listed[0].path.find("broken.jpg"), std::string::npos);
  EXPECT_NE(listed[1].path.find("missing.png"), std::string::npos);
  EXPECT_EQ(skipped->first(1).size(), 1u);
}

}  // namespace
}  // namespace trainbench::data
