// data_verify over the bad-data corpus: every case gets its verdict and its
// reason, the counts and the exit code follow; and the training loader skips
// exactly the files verify calls bad, with the same reasons.
#include "data/data_verify.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "core/error.h"
#include "data/bad_data_corpus.h"
#include "data/batch_loader.h"
#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench::data {
namespace {

namespace fs = std::filesystem;
using testing::Corpus;
using testing::CorpusEntry;
using testing::TempDir;
using testing::Verdict;

// One corpus for the whole file: writing it is quick, but every test reads the same cases.
const Corpus& corpus() {
  static TempDir dir;
  static const Corpus corpus = testing::write_bad_data_corpus(dir / "data", 4);
  return corpus;
}

std::string lines(const std::vector<CorpusEntry>& entries) {
  std::string out;
  for (const CorpusEntry& e : entries) out += "  " + e.path.string() + " (" + e.what + ")\n";
  return out;
}

TEST(DataVerify, EveryCorpusFileGetsItsVerdictAndReason) {
  const VerifyReport report = verify_image_folder(corpus().root, 2);
  std::map<fs::path, std::string> bad, ignored;
  for (const BadFile& f : report.bad) bad[f.path] = f.reason;
  for (const IgnoredEntry& e : report.ignored) ignored[e.path] = e.reason;
  for (const CorpusEntry& entry : corpus().entries) {
    SCOPED_TRACE(entry.path.string() + ": " + entry.what);
    switch (entry.verdict) {
      case Verdict::kGood:
        EXPECT_EQ(bad.count(entry.path), 0u) << bad[entry.path];
        EXPECT_EQ(ignored.count(entry.path), 0u);
        break;
      case Verdict::kBad:
        ASSERT_EQ(bad.count(entry.path), 1u) << "not reported as bad";
        EXPECT_NE(bad[entry.path].find(entry.reason), std::string::npos) << bad[entry.path];
        break;
      case Verdict::kIgnored:
        ASSERT_EQ(ignored.count(entry.path), 1u) << "not listed as ignored";
        EXPECT_NE(ignored[entry.path].find(entry.reason), std::string::npos) << ignored[entry.path];
        break;
    }
  }
  // Nothing reported that the corpus does not expect.
  EXPECT_EQ(report.ok, corpus().count(Verdict::kGood)) << lines(corpus().with(Verdict::kGood));
  EXPECT_EQ(report.bad.size(), static_cast<std::size_t>(corpus().count(Verdict::kBad)));
  EXPECT_EQ(report.ignored.size(), static_cast<std::size_t>(corpus().count(Verdict::kIgnored)));
  EXPECT_GE(corpus().count(Verdict::kBad), 18);
  EXPECT_EQ(report.exit_code(), 1);
  EXPECT_EQ(report.max_image_pixels, kDefaultMaxImagePixels);
}

TEST(DataVerify, CountsEachClass) {
  const VerifyReport report = verify_image_folder(corpus().root, 3);
  ASSERT_EQ(report.classes.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string& name = corpus().classes[i];
    EXPECT_EQ(report.classes[i].name, name);
    EXPECT_EQ(report.classes[i].ok, corpus().count(Verdict::kGood, name)) << name;
    EXPECT_EQ(report.classes[i].bad, corpus().count(Verdict::kBad, name)) << name;
    EXPECT_GE(report.classes[i].bad, 5) << name;  // every class has its share of bad files
  }
}

TEST(DataVerify, ReportDoesNotDependOnTheNumberOfWorkers) {
  const VerifyReport one = verify_image_folder(corpus().root, 1);
  const VerifyReport many = verify_image_folder(corpus().root, 8);
  EXPECT_EQ(format_verify_text(one), format_verify_text(many));
  EXPECT_EQ(to_json(one), to_json(many));
}

TEST(DataVerify, CleanFolderExitsZero) {
  TempDir dir;
  const Corpus clean = testing::write_clean_corpus(dir / "clean", 3);
  int calls = 0;
  std::int64_t last_done = 0, last_total = 0;
  const VerifyReport report = verify_image_folder(clean.root, 2, [&](std::int64_t done, std::int64_t total) {
    ++calls;
    last_done = done;
    last_total = total;
  });
  EXPECT_EQ(report.ok, 9);
  EXPECT_TRUE(report.bad.empty());
  EXPECT_TRUE(report.ignored.empty());
  EXPECT_EQ(report.exit_code(), 0);
  EXPECT_EQ(calls, 9);
  EXPECT_EQ(last_done, 9);
  EXPECT_EQ(last_total, 9);
}

TEST(DataVerify, MissingOrEmptyFolderIsAnError) {
  TempDir dir;
  try {
    verify_image_folder(dir / "missing", 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  try {
    verify_image_folder(dir.path(), 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("has no class sub-folders"), std::string::npos) << e.what();
  }
}

// Lowering the limit turns the ordinary 48x40 JPEGs (1920 pixels) into bombs
// and leaves the 44x36 PNGs (1584) alone.
TEST(DataVerify, PixelLimitComesFromTheSetting) {
  TempDir dir;
  const Corpus clean = testing::write_clean_corpus(dir / "clean", 4);
  testing::ScopedMaxImagePixels limit(1600);
  const VerifyReport report = verify_image_folder(clean.root, 2);
  EXPECT_EQ(report.max_image_pixels, 1600u);
  EXPECT_EQ(report.ok, 6);
  ASSERT_EQ(report.bad.size(), 6u);
  for (const BadFile& f : report.bad) {
    EXPECT_EQ(f.path.extension(), ".jpg");
    EXPECT_NE(f.reason.find("image claims 48x40 pixels, more than the limit of 1600"), std::string::npos) << f.reason;
    EXPECT_NE(f.reason.find("--max-image-pixels"), std::string::npos) << f.reason;
  }
}

TEST(DataVerify, TextAndJsonListTheSameFiles) {
  const VerifyReport report = verify_image_folder(corpus().root, 2);
  const std::string text = format_verify_text(report);
  for (const BadFile& f : report.bad) {
    EXPECT_NE(text.find(f.path.string() + ": " + f.reason + "\n"), std::string::npos) << f.path;
  }
  for (const IgnoredEntry& e : report.ignored) {
    EXPECT_NE(text.find("  " + e.path.string() + ": " + e.reason + "\n"), std::string::npos) << e.path;
  }
  const std::string summary = std::to_string(report.ok) + " images ok, " + std::to_string(report.bad.size()) +
                              " bad, " + std::to_string(report.ignored.size()) + " ignored, in 3 classes";
  EXPECT_NE(text.find(summary), std::string::npos) << text;
  EXPECT_NE(text.find("blue sky"), std::string::npos);
  const nlohmann::ordered_json json = to_json(report);
  EXPECT_EQ(json["ok"], report.ok);
  EXPECT_EQ(json["bad"], report.bad.size());
  EXPECT_EQ(json["ignored"], report.ignored.size());
  ASSERT_EQ(json["bad_files"].size(), report.bad.size());
  EXPECT_EQ(json["bad_files"][0]["path"], report.bad[0].path.string());
  EXPECT_EQ(json["bad_files"][0]["reason"], report.bad[0].reason);
  EXPECT_EQ(json["classes"][1]["name"], "grass");
  EXPECT_EQ(json["classes"][1]["bad"], report.classes[1].bad);
  // A file name that is not UTF-8 (ignored here) still prints, replaced.
  EXPECT_NO_THROW(json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

TEST(BadDataCorpus, GoodImagesDecodeToTheirKnownColours) {
  int checked = 0;
  for (const CorpusEntry& entry : corpus().with(Verdict::kGood)) {
    SCOPED_TRACE(entry.path.string() + ": " + entry.what);
    Image image;
    ASSERT_EQ(read_image_problem(entry.path, 0, &image), "");
    if (!entry.colour) continue;
    ++checked;
    const auto& colour = *entry.colour;
    int worst = 0;
    for (std::size_t i = 0; i < image.pixels.size(); ++i) {
      worst = std::max(worst, std::abs(image.pixels[i] - colour[i % 3]));
    }
    EXPECT_LE(worst, entry.tolerance) << "first pixel " << int(image.pixels[0]) << "," << int(image.pixels[1]) << ","
                                      << int(image.pixels[2]);
  }
  EXPECT_EQ(checked, 10);  // CMYK, gray JPEG, gray, gray+alpha, 16-bit x2, palette x2, RGBA, interlaced
}

// The training path: the loader decodes every good image and skips every bad
// one, recording the same reason verify gives (after the path).
TEST(BadDataCorpus, TrainingLoaderUsesEveryGoodImageAndSkipsEveryBadOne) {
  const ImageFolder folder = scan_image_folder(corpus().root);
  ASSERT_EQ(folder.samples.size(), static_cast<std::size_t>(corpus().candidates()));
  LoaderOptions options;
  options.image_size = 32;
  options.batch_size = 5;
  options.workers = 2;
  options.shuffle = true;
  auto skipped = std::make_shared<SkippedFiles>();
  BatchLoader loader(folder.samples, options, skipped);
  loader.start_epoch(1);
  std::int64_t images = 0;
  while (auto batch = loader.next()) images += batch->labels.size(0);
  EXPECT_EQ(images, corpus().count(Verdict::kGood));
  const std::vector<SkippedFile> reported = skipped->first(1000);
  ASSERT_EQ(reported.size(), static_cast<std::size_t>(corpus().count(Verdict::kBad)));
  std::map<std::string, std::string> reasons;
  for (const SkippedFile& f : reported) reasons[f.path] = f.reason;
  for (const CorpusEntry& entry : corpus().with(Verdict::kBad)) {
    SCOPED_TRACE(entry.path.string());
    ASSERT_EQ(reasons.count(entry.path.string()), 1u);
    // The reason alone: the list names the file already.
    EXPECT_EQ(reasons[entry.path.string()].find(entry.path.string()), std::string::npos) << reasons[entry.path.string()];
    EXPECT_NE(reasons[entry.path.string()].find(entry.reason), std::string::npos) << reasons[entry.path.string()];
  }
}

}  // namespace
}  // namespace trainbench::data
