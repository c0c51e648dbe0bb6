#include "data/fashion_mnist.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "core/error.h"
#include "data/image_codec.h"
#include "data/image_folder.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;

void write_gz(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

std::vector<std::uint8_t> idx_header(std::uint32_t magic, std::vector<std::uint32_t> dims) {
  std::vector<std::uint8_t> out;
  for (std::uint32_t v : [&] { dims.insert(dims.begin(), magic); return dims; }()) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  return out;
}

// A tiny data set in the real files' format: n images of 28x28 whose pixels
// all equal their index, labels i % 10.
void write_fake_split(const fs::path& dir, const std::string& prefix, int n) {
  std::vector<std::uint8_t> images = idx_header(0x803, {static_cast<std::uint32_t>(n), 28, 28});
  std::vector<std::uint8_t> labels = idx_header(0x801, {static_cast<std::uint32_t>(n)});
  for (int i = 0; i < n; ++i) {
    images.insert(images.end(), 28 * 28, static_cast<std::uint8_t>(i));
    labels.push_back(static_cast<std::uint8_t>(i % 10));
  }
  write_gz(dir / (prefix + "-images-idx3-ubyte.gz"), images);
  write_gz(dir / (prefix + "-labels-idx1-ubyte.gz"), labels);
}

TEST(FashionMnist, ImportsIntoClassFolders) {
  testing::TempDir dir;
  write_fake_split(dir.path(), "train", 25);
  write_fake_split(dir.path(), "t10k", 12);
  const ImportSummary summary = import_fashion_mnist(dir.path(), dir / "out");
  EXPECT_EQ(summary.train_images, 25);
  EXPECT_EQ(summary.test_images, 12);
  const ImageFolder train = scan_image_folder(dir / "out" / "train");
  EXPECT_EQ(train.classes.size(), 10u);
  EXPECT_EQ(train.samples.size(), 25u);
  const Image image = read_image_file(dir / "out" / "train" / "trouser" / "00011.png");  // label 11 % 10 = 1
  EXPECT_EQ(image.width, 28);
  EXPECT_EQ(image.pixel(3, 3)[0], 11);
  EXPECT_EQ(image.pixel(3, 3)[2], 11);  // gray becomes RGB
  EXPECT_THROW(import_fashion_mnist(dir.path(), dir / "out"), UsageError);  // refuses a non-empty output
}

TEST(FashionMnist, MalformedFilesAreClearErrors) {
  testing::TempDir dir;
  EXPECT_THROW(read_idx_images(dir / "nothing.gz"), DataError);
  write_gz(dir / "labels.gz", idx_header(0x801, {5}));  // claims 5 labels, has none
  EXPECT_THROW(read_idx_labels(dir / "labels.gz"), DataError);
  EXPECT_THROW(read_idx_images(dir / "labels.gz"), DataError);  // wrong magic
}

// The real files from Debian's dataset-fashion-mnist, when installed.
TEST(FashionMnist, ReadsTheDebianPackageFiles) {
  const fs::path source = kFashionMnistDefaultSource;
  if (!fs::exists(source / "t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const IdxImages images = read_idx_images(source / "t10k-images-idx3-ubyte.gz");
  const std::vector<std::uint8_t> labels = read_idx_labels(source / "t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(images.count, 10000);
  EXPECT_EQ(images.rows, 28);
  EXPECT_EQ(labels.size(), 10000u);
  EXPECT_EQ(labels[0], 9);  // the first test image is an ankle boot
}

}  // namespace
}  // namespace trainbench::data
