#include "data/synth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;  // removed at the end of the test

std::vector<std::string> sorted_listing(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Synth, ClassNamesAreHagridsNineteenInOrder) {
  const auto& names = hagrid_class_names();
  ASSERT_EQ(names.size(), 19u);
  EXPECT_EQ(names.front(), "call");
  EXPECT_EQ(names[6], "no_gesture");
  EXPECT_EQ(names.back(), "two_up_inverted");
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(Synth, RenderIsDeterministicForASeed) {
  const Image a = render_gesture(3, 42, 7);
  const Image b = render_gesture(3, 42, 7);
  ASSERT_EQ(a.width, b.width);
  ASSERT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(render_gesture(3, 43, 7).pixels, a.pixels);
  EXPECT_NE(render_gesture(3, 42, 8).pixels, a.pixels);
  EXPECT_EQ(synth_jpeg_quality(3, 42, 7), synth_jpeg_quality(3, 42, 7));
}

TEST(Synth, SizesLookLikeHagridAt512) {
  int portrait = 0, landscape = 0;
  for (int c = 0; c < 19; ++c) {
    for (int i = 0; i < 6; ++i) {
      const Image image = render_gesture(c, 1234, i);
      const int long_side = std::max(image.width, image.height);
      const int short_side = std::min(image.width, image.height);
      EXPECT_GE(long_side, 448);
      EXPECT_LE(long_side, 512);
      EXPECT_GE(short_side, static_cast<int>(0.56 * long_side));
      ASSERT_EQ(image.pixels.size(), static_cast<std::size_t>(image.width) * image.height * 3);
      (image.height > image.width ? portrait : landscape) += 1;
    }
  }
  // Both orientations occur, as in HaGRID.
  EXPECT_GT(portrait, 20);
  EXPECT_GT(landscape, 20);
}

TEST(Synth, PicturesAreNotFlat) {
  // A picture with a drawn hand and clutter has a wide range of values; a
  // broken renderer tends to produce a blank or single-colour image.
  const Image image = render_gesture(9, 5, 0);
  const auto [lo, hi] = std::minmax_element(image.pixels.begin(), image.pixels.end());
  EXPECT_GT(*hi - *lo, 100);
}

TEST(Synth, EveryClassDrawsADifferentPicture) {
  std::set<std::vector<std::uint8_t>> distinct;
  for (int c = 0; c < 19; ++c) distinct.insert(render_gesture(c, 99, 0).pixels);
  EXPECT_EQ(distinct.size(), 19u);
}

TEST(Synth, RejectsAClassIndexOutOfRange) {
  EXPECT_THROW(render_gesture(-1, 1, 0), UsageError);
  EXPECT_THROW(render_gesture(19, 1, 0), UsageError);
}

TEST(Synth, JpegQualityVariesWithinRange) {
  int lo = 100, hi = 0;
  for (int i = 0; i < 200; ++i) {
    const int q = synth_jpeg_quality(i % 19, 1234, i);
    lo = std::min(lo, q), hi = std::max(hi, q);
  }
  EXPECT_GE(lo, 60);
  EXPECT_LE(hi, 95);
  EXPECT_LT(lo, 65);
  EXPECT_GT(hi, 90);
}

TEST(Synth, FileNamesHaveFiveDigitIndices) {
  EXPECT_EQ(synth_file_name(0, 7), "call_00007.jpg");
  EXPECT_EQ(synth_file_name(18, 12345), "two_up_inverted_12345.jpg");
}

TEST(Synth, WritesOneFolderPerClassWithTheRightFiles) {
  TempDir dir;
  SynthOptions options;
  options.out = dir.path() / "synth";
  options.classes = 3;
  options.per_class = 4;
  options.seed = 11;
  options.threads = 2;
  std::vector<std::pair<int, int>> progress;
  const auto caller = std::this_thread::get_id();
  bool other_thread = false;
  const SynthSummary summary = write_synthetic_dataset(options, [&](int done, int total) {
    progress.emplace_back(done, total);
    other_thread |= std::this_thread::get_id() != caller;
  });

  EXPECT_EQ(summary.classes, 3);
  EXPECT_EQ(summary.images, 12);
  EXPECT_EQ(sorted_listing(options.out), (std::vector<std::string>{"call", "dislike", "fist"}));
  std::uint64_t bytes = 0;
  for (const std::string cls : {"call", "dislike", "fist"}) {
    EXPECT_EQ(sorted_listing(options.out / cls),
              (std::vector<std::string>{cls + "_00000.jpg", cls + "_00001.jpg", cls + "_00002.jpg", cls + "_00003.jpg"}));
    for (const auto& entry : fs::directory_iterator(options.out / cls)) bytes += fs::file_size(entry.path());
  }
  EXPECT_EQ(summary.bytes, bytes);

  // Files decode to the picture render_gesture draws (same size; JPEG is lossy).
  const Image decoded = read_image_file(options.out / "dislike" / "dislike_00002.jpg");
  const Image rendered = render_gesture(1, 11, 2);
  EXPECT_EQ(decoded.width, rendered.width);
  EXPECT_EQ(decoded.height, rendered.height);

  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(12, 12));
  for (std::size_t i = 1; i < progress.size(); ++i) EXPECT_LT(progress[i - 1].first, progress[i].first);
  EXPECT_FALSE(other_thread);
}

TEST(Synth, FileBytesDoNotDependOnThreadCount) {
  TempDir dir;
  SynthOptions options;
  options.classes = 2;
  options.per_class = 3;
  options.seed = 5;
  options.out = dir.path() / "one";
  options.threads = 1;
  write_synthetic_dataset(options);
  options.out = dir.path() / "three";
  options.threads = 3;
  write_synthetic_dataset(options);
  for (const std::string cls : {"call", "dislike"}) {
    for (int i = 0; i < 3; ++i) {
      const std::string name = cls + "_0000" + std::to_string(i) + ".jpg";
      const auto one = read_file_bytes(dir.path() / "one" / cls / name);
      EXPECT_EQ(one, read_file_bytes(dir.path() / "three" / cls / name)) << name;
      const int c = cls == "call" ? 0 : 1;
      EXPECT_EQ(one, encode_jpeg(render_gesture(c, 5, i), synth_jpeg_quality(c, 5, i))) << name;
    }
  }
}

TEST(Synth, RejectsBadOptions) {
  TempDir dir;
  SynthOptions options;
  options.out = dir.path() / "new";
  options.per_class = 1;
  auto with = [&](auto change) {
    SynthOptions o = options;
    change(o);
    return o;
  };
  EXPECT_THROW(write_synthetic_dataset(with([](SynthOptions& o) { o.classes = 0; })), UsageError);
  EXPECT_THROW(write_synthetic_dataset(with([](SynthOptions& o) { o.classes = 20; })), UsageError);
  EXPECT_THROW(write_synthetic_dataset(with([](SynthOptions& o) { o.per_class = 0; })), UsageError);
  EXPECT_THROW(write_synthetic_dataset(with([](SynthOptions& o) { o.threads = -1; })), UsageError);
  EXPECT_THROW(write_synthetic_dataset(with([](SynthOptions& o) { o.out.clear(); })), UsageError);
  EXPECT_FALSE(fs::exists(options.out)) << "nothing may be written when the options are bad";

  // An existing non-empty folder is refused, so old and new images never mix.
  fs::create_directories(dir.path() / "used");
  write_file_bytes(dir.path() / "used" / "keep.txt", {'x'});
  EXPECT_THROW(write_synthetic_dataset(with([&](SynthOptions& o) { o.out = dir.path() / "used"; })), UsageError);
  EXPECT_THROW(write_synthetic_dataset(with([&](SynthOptions& o) { o.out = dir.path() / "used" / "keep.txt"; })),
               UsageError);

  // An existing empty folder is fine.
  fs::create_directories(dir.path() / "empty");
  const SynthSummary summary =
      write_synthetic_dataset(with([&](SynthOptions& o) { o.out = dir.path() / "empty", o.classes = 1; }));
  EXPECT_EQ(summary.images, 1);
}

}  // namespace
}  // namespace trainbench::data
