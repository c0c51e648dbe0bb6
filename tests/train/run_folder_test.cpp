#include "train/run_folder.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_support.h"
#include "train/run_record.h"
#include "train/run_summary.h"
#include "train/train_config.h"

namespace trainbench::train {
namespace {

namespace fs = std::filesystem;

TEST(RunFolder, CreatesAndRefusesToMixRuns) {
  testing::TempDir dir;
  RunFolder run = RunFolder::create(dir / "run", false);
  run.write_classes({"a", "b"});
  run.append_metrics({{"type", "train_step"}, {"step", 1}});
  run.append_metrics({{"type", "train_step"}, {"step", 2}});
  EXPECT_THROW(RunFolder::create(dir / "run", false), RunError);
  // With overwrite the old results go, so nothing of the earlier run remains.
  RunFolder again = RunFolder::create(dir / "run", true);
  std::ifstream metrics(dir / "run" / RunFiles::kMetrics);
  std::string line;
  EXPECT_FALSE(std::getline(metrics, line));
}

TEST(RunFolder, JsonFilesRoundTripAndLeaveNoTemporaryFiles) {
  testing::TempDir dir;
  RunFolder run = RunFolder::create(dir / "run", false);
  TrainConfig config;
  config.data = "/data/x";
  config.model = "resnet50d";
  config.image_size = 160;
  config.seed = 77;
  run.write_json(RunFiles::kConfig, to_json(config));
  run.write_classes({"call", "dislike"});
  // Read back through the one loader.
  const RunRecord opened = load_run_record(dir / "run");
  ASSERT_TRUE(opened.config);
  const TrainConfig& back = *opened.config;
  EXPECT_EQ(back.model, "resnet50d");
  EXPECT_EQ(back.image_size, 160);
  EXPECT_EQ(back.seed, 77u);
  EXPECT_EQ(back.data, "/data/x");
  EXPECT_EQ(opened.classes, (std::vector<std::string>{"call", "dislike"}));
  for (const auto& entry : fs::directory_iterator(dir / "run")) EXPECT_NE(entry.path().extension(), ".tmp");
}

TEST(RunFolder, OpenNeedsARunFolder) {
  testing::TempDir dir;
  EXPECT_THROW(RunFolder::open(dir / "none"), RunError);
  EXPECT_THROW(RunFolder::open(dir.path()), RunError);
  EXPECT_THROW(train_config_from_json(nlohmann::json{{"model", "resnet18"}}), RunError);
}

TEST(RunSummary, JsonHasTheFieldsScriptsRead) {
  RunSummary summary;
  summary.model = "resnet18d";
  summary.train_images_per_sec = 123.5;
  summary.train_images = 305;
  summary.val_images = 34;
  summary.train_files_scanned = 312;
  summary.val_files_scanned = 35;
  summary.skipped_files = 8;
  summary.skipped_examples = {{"a.jpg", "corrupt JPEG"}};
  const nlohmann::ordered_json json = to_json(summary);
  for (const char* key : {"model", "epochs", "steps", "train_images", "val_images", "train_files_scanned",
                          "val_files_scanned", "skipped_files", "train_loss", "val_loss", "val_accuracy",
                          "train_images_per_sec", "data_wait_fraction", "wall_seconds", "device"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["train_images"], 305);
  EXPECT_EQ(json["train_files_scanned"], 312);
  EXPECT_EQ(json["skipped_examples"][0]["reason"], "corrupt JPEG");
  const std::string text = format_summary_text(summary);
  EXPECT_NE(text.find("305 train / 34 val images used, 8 of 347 files skipped"), std::string::npos) << text;
  EXPECT_NE(text.find("skipped a.jpg: corrupt JPEG"), std::string::npos);
}

}  // namespace
}  // namespace trainbench::train
