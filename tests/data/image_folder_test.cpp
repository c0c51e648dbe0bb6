#include "data/image_folder.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "x";
}

TEST(ImageFolder, ClassesAreSortedFolderNamesAndOnlyImagesCount) {
  TempDir dir;
  touch(dir / "zebra/b.JPG");
  touch(dir / "zebra/a.jpeg");
  touch(dir / "apple/1.png");
  touch(dir / "apple/notes.txt");
  touch(dir / "apple/.hidden.jpg");
  touch(dir / "apple/nested/2.jpg");
  touch(dir / ".cache/x.jpg");
  const ImageFolder folder = scan_image_folder(dir.path());
  ASSERT_EQ(folder.classes, (std::vector<std::string>{"apple", "zebra"}));
  ASSERT_EQ(folder.samples.size(), 4u);
  EXPECT_EQ(folder.samples[0].path.filename(), "1.png");
  EXPECT_EQ(folder.samples[0].label, 0);
  EXPECT_EQ(folder.samples[1].path.filename(), "2.jpg");
  EXPECT_EQ(folder.samples[2].path.filename(), "a.jpeg");
  EXPECT_EQ(folder.samples[3].label, 1);
}

TEST(ImageFolder, ClearErrorsBeforeTraining) {
  TempDir dir;
  EXPECT_THROW(scan_image_folder(dir / "missing"), DataError);
  EXPECT_THROW(scan_image_folder(dir.path()), DataError);  // no class folders
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  EXPECT_THROW(scan_image_folder(dir.path()), DataError);  // no images
  touch(dir / "a/1.jpg");
  fs::remove(dir / "b");
  try {
    scan_image_folder(dir.path());
    FAIL() << "one class accepted";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("only one class"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, KnownClassesKeepTheirLabels) {
  TempDir dir;
  touch(dir / "dog/1.jpg");
  const ImageFolder folder = scan_image_folder_with_classes(dir.path(), {"cat", "dog"});
  ASSERT_EQ(folder.samples.size(), 1u);
  EXPECT_EQ(folder.samples[0].label, 1);
  touch(dir / "horse/1.jpg");
  EXPECT_THROW(scan_image_folder_with_classes(dir.path(), {"cat", "dog"}), DataError);
}

TEST(ImageFolder, SplitIsSeededAndSizedLikeTheWorkload) {
  std::vector<Sample> samples;
  for (int i = 0; i < 153735; ++i) samples.push_back({"f" + std::to_string(i), i % 19});
  const Split split = split_samples(samples, 0.1, 1234);
  EXPECT_EQ(split.train.size(), 138361u);
  EXPECT_EQ(split.validation.size(), 15374u);
  const Split again = split_samples(samples, 0.1, 1234);
  EXPECT_EQ(split.validation[0].path, again.validation[0].path);
  const Split other = split_samples(samples, 0.1, 99);
  EXPECT_NE(split.validation[0].path, other.validation[0].path);
  std::set<std::string> seen;
  for (const Sample& s : split.train) seen.insert(s.path);
  for (const Sample& s : split.validation) EXPECT_FALSE(seen.count(s.path));
  EXPECT_THROW(split_samples(samples, 1.0, 1), UsageError);
  EXPECT_THROW(split_samples({samples[0]}, 0.5, 1), DataError);
}

}  // namespace
}  // namespace trainbench::data
