// `trainbench data verify` and `trainbench train` over the bad-data corpus
// (tests/data/bad_data_corpus.h), through the built binary: verify lists every
// bad file with its reason and exits 1, training finishes, uses every good
// image and reports every bad one.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "data/bad_data_corpus.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::Corpus;
using testing::CorpusEntry;
using testing::read_json;
using testing::TempDir;
using testing::trainbench_command;
using testing::Verdict;

using testing::quoted;

// Counts chosen so that with -b 16 and a 10% validation split no training
// batch is left with a single good image (BatchNorm cannot train on one).
constexpr int kPlainPerClass = 8;

TEST(DataVerifyCommand, ListsEveryBadFileWithItsReasonAndExitsOne) {
  TempDir dir;
  const Corpus corpus = testing::write_bad_data_corpus(dir / "data", kPlainPerClass);
  int code = -1;
  const std::string out =
      testing::run_command(trainbench_command("data verify --workers 2 " + quoted(corpus.root)), &code);
  EXPECT_EQ(code, 1) << out;
  std::istringstream in(out);
  std::set<std::string> output_lines;
  for (std::string line; std::getline(in, line);) output_lines.insert(line);
  for (const CorpusEntry& entry : corpus.with(Verdict::kBad)) {
    const std::string prefix = entry.path.string() + ": ";
    const auto line = output_lines.lower_bound(prefix);
    ASSERT_TRUE(line != output_lines.end() && line->rfind(prefix, 0) == 0) << entry.what << " not listed:\n" << out;
    EXPECT_NE(line->find(entry.reason), std::string::npos) << *line;
  }
  for (const CorpusEntry& entry : corpus.with(Verdict::kGood)) {
    EXPECT_EQ(out.find(entry.path.string() + ": "), std::string::npos) << entry.what << " listed:\n" << out;
  }
  const std::string summary = std::to_string(corpus.count(Verdict::kGood)) + " images ok, " +
                              std::to_string(corpus.count(Verdict::kBad)) + " bad, " +
                              std::to_string(corpus.count(Verdict::kIgnored)) + " ignored, in 3 classes";
  EXPECT_NE(out.find(summary), std::string::npos) << out;
  EXPECT_NE(out.find("ignored (training does not use these; not errors):"), std::string::npos) << out;
}

TEST(DataVerifyCommand, JsonParsesAndMatchesTheCorpus) {
  TempDir dir;
  const Corpus corpus = testing::write_bad_data_corpus(dir / "data", 2);
  int code = -1;
  const std::string out = testing::run_command(trainbench_command("data verify --json " + quoted(corpus.root)), &code);
  EXPECT_EQ(code, 1);
  const nlohmann::json json = nlohmann::json::parse(out);  // throws (fails the test) if it does not parse
  EXPECT_EQ(json["ok"], corpus.count(Verdict::kGood));
  EXPECT_EQ(json["bad"], corpus.count(Verdict::kBad));
  EXPECT_EQ(json["ignored"], corpus.count(Verdict::kIgnored));
  EXPECT_EQ(json["max_image_pixels"], 178956970);
  std::set<std::string> bad_paths;
  for (const auto& f : json["bad_files"]) bad_paths.insert(f["path"].get<std::string>());
  for (const CorpusEntry& entry : corpus.with(Verdict::kBad)) {
    EXPECT_EQ(bad_paths.count(entry.path.string()), 1u) << entry.what;
  }
  ASSERT_EQ(json["classes"].size(), 3u);
  EXPECT_EQ(json["classes"][0]["name"], "blue sky");
  EXPECT_EQ(json["classes"][0]["ok"], corpus.count(Verdict::kGood, "blue sky"));
}

TEST(DataVerifyCommand, CleanFolderExitsZeroAndMissingFolderIsOneLine) {
  TempDir dir;
  const Corpus clean = testing::write_clean_corpus(dir / "clean", 2);
  int code = -1;
  const std::string out = testing::run_command(trainbench_command("data verify " + quoted(clean.root)), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("6 images ok, 0 bad, 0 ignored, in 3 classes"), std::string::npos) << out;
  const std::string missing =
      testing::run_command(trainbench_command("data verify " + quoted(dir / "nowhere") + " 2>&1"), &code);
  EXPECT_EQ(code, 2);
  EXPECT_EQ(missing, "trainbench: error: data folder " + (dir / "nowhere").string() + " does not exist\n");
  const std::string empty =
      testing::run_command(trainbench_command("data verify " + quoted(dir / "clean/grass") + " 2>&1"), &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(empty.find("has no class sub-folders"), std::string::npos) << empty;
}

TEST(DataVerifyCommand, MaxImagePixelsFlagSetsTheLimit) {
  TempDir dir;
  const Corpus clean = testing::write_clean_corpus(dir / "clean", 2);
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("data verify --json --max-image-pixels 1600 " + quoted(clean.root)), &code);
  EXPECT_EQ(code, 1);
  const nlohmann::json json = nlohmann::json::parse(out);
  EXPECT_EQ(json["max_image_pixels"], 1600);
  EXPECT_EQ(json["bad"], 3);  // the 48x40 JPEGs, not the 44x36 PNGs
  EXPECT_NE(json["bad_files"][0]["reason"].get<std::string>().find("--max-image-pixels"), std::string::npos);
  for (const char* command : {"train", "bench", "eval", "predict", "data bench"}) {
    const std::string help = testing::run_command(trainbench_command(std::string(command) + " --help"), &code);
    EXPECT_NE(help.find("--max-image-pixels"), std::string::npos) << command;
  }
  testing::run_command(trainbench_command("data verify --max-image-pixels 0 " + quoted(clean.root) + " 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(code, 1);  // a usage error, not "bad files found"
  // Given twice, the last value is the limit.
  const std::string twice = testing::run_command(
      trainbench_command("data verify --json --max-image-pixels 1600 --max-image-pixels 2000 " + quoted(clean.root)),
      &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(nlohmann::json::parse(twice)["max_image_pixels"], 2000);
}

std::vector<nlohmann::json> read_jsonl(const fs::path& path) {
  std::vector<nlohmann::json> records;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

TEST(TrainOverBadData, FinishesUsesEveryGoodImageAndReportsEveryBadOne) {
  TempDir dir;
  const Corpus corpus = testing::write_bad_data_corpus(dir / "data", kPlainPerClass);
  int code = -1;
  const std::string out = testing::run_command(
      trainbench_command("train --data " + quoted(corpus.root) + " --model resnet18 --img-size 32 -b 16 --epochs 1 " +
                         "--workers 2 --threads 2 --no-progress --no-db --no-telemetry --output " +
                         quoted(dir / "run") + " 2>&1"),
      &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json summary = read_json(dir / "run" / "summary.json");
  const int bad = corpus.count(Verdict::kBad);
  EXPECT_EQ(summary["skipped_files"], bad);
  EXPECT_EQ(summary["train_files_scanned"].get<int>() + summary["val_files_scanned"].get<int>(), corpus.candidates());
  EXPECT_EQ(summary["train_images"].get<int>() + summary["val_images"].get<int>(), corpus.count(Verdict::kGood));
  // Every bad file is named with its reason (the summary lists up to 20).
  ASSERT_LE(bad, 20);
  std::map<std::string, std::string> reasons;
  for (const auto& f : summary["skipped_examples"]) reasons[f["path"]] = f["reason"];
  for (const CorpusEntry& entry : corpus.with(Verdict::kBad)) {
    ASSERT_EQ(reasons.count(entry.path.string()), 1u) << entry.what;
    EXPECT_NE(reasons[entry.path.string()].find(entry.reason), std::string::npos) << reasons[entry.path.string()];
  }
  // Every good image went through a training step or the evaluation.
  std::int64_t trained = 0, evaluated = 0;
  for (const nlohmann::json& record : read_jsonl(dir / "run" / "metrics.jsonl")) {
    if (record["type"] == "train_epoch") trained += record["images"].get<std::int64_t>();
    if (record["type"] == "eval") evaluated += record["images"].get<std::int64_t>();
  }
  EXPECT_GT(trained, 0);
  EXPECT_GT(evaluated, 0);
  EXPECT_EQ(trained + evaluated, corpus.count(Verdict::kGood));
  // ... and summary.json and the end-of-run text count exactly those, per set.
  EXPECT_EQ(summary["train_images"], trained);
  EXPECT_EQ(summary["val_images"], evaluated);
  const std::string counts = std::to_string(trained) + " train / " + std::to_string(evaluated) + " val images used, " +
                             std::to_string(bad) + " of " + std::to_string(corpus.candidates()) + " files skipped";
  EXPECT_NE(out.find(counts), std::string::npos) << out;
}

}  // namespace
}  // namespace trainbench
