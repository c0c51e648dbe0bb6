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

// Links that go nowhere or round in circles are candidates like any file
// (the loader reports them); links back up the tree are not followed, so the
// scan neither throws nor loops. What is passed over is listed with why.
TEST(ImageFolder, LinksNeitherThrowNorLoopAndIgnoredFilesAreListed) {
  TempDir dir;
  touch(dir / "a/1.jpg");
  touch(dir / "b/sub/2.png");
  touch(dir / "b/notes.txt");
  touch(dir / "b/.hidden.jpg");
  touch(dir / "README");
  fs::create_symlink("gone.jpg", dir / "a/broken.jpg");
  fs::create_symlink("loop2.jpg", dir / "a/loop1.jpg");
  fs::create_symlink("loop1.jpg", dir / "a/loop2.jpg");
  fs::create_symlink("loop", dir / "a/loop");                 // a looping link without an image name
  fs::create_directory_symlink(".", dir / "b/sub/self");      // a folder containing itself
  fs::create_directory_symlink("../..", dir / "b/sub/up");    // the data folder again, from below
  fs::create_directory_symlink(".", dir / "c");               // a "class" that is the data folder
  ImageFolder folder;
  ASSERT_NO_THROW(folder = scan_image_folder(dir.path()));
  EXPECT_EQ(folder.classes, (std::vector<std::string>{"a", "b", "c"}));
  std::vector<std::string> samples;
  for (const Sample& s : folder.samples) samples.push_back(s.path.lexically_relative(dir.path()).string());
  EXPECT_EQ(samples,
            (std::vector<std::string>{"a/1.jpg", "a/broken.jpg", "a/loop1.jpg", "a/loop2.jpg", "b/sub/2.png"}));
  std::vector<std::string> ignored;
  for (const IgnoredEntry& e : folder.ignored) {
    ignored.push_back(e.path.lexically_relative(dir.path()).string() + ": " + e.reason);
  }
  EXPECT_EQ(ignored, (std::vector<std::string>{
                         "README: not inside a class folder",
                         "a/loop: not an image file name (.jpg, .jpeg or .png)",
                         "b/.hidden.jpg: hidden (the name starts with '.')",
                         "b/notes.txt: not an image file name (.jpg, .jpeg or .png)",
                         "b/sub/self: symbolic link to a folder that contains it (a loop); not followed",
                         "b/sub/up: symbolic link to a folder that contains it (a loop); not followed",
                         "c: symbolic link to the data folder itself (a loop); not followed",
                     }));
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
