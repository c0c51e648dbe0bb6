#include "train/run_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "test_support.h"

namespace trainbench::train {
namespace {

namespace fs = std::filesystem;

// A run folder exactly as trainbench wrote it on 2026-12-07, before the run
// record (summary.json and config.json still said img_size): it must load.
const fs::path kFixture = fs::path(TRAINBENCH_SOURCE_DIR) / "tests" / "fixtures" / "run_folder_2026_12_07";

TEST(RunRecord, AFolderInTheFormatBeforeTheRecordLoads) {
  const RunRecord run = load_run_record(kFixture);
  EXPECT_EQ(run.label, "run_folder_2026_12_07");
  ASSERT_TRUE(run.config);
  EXPECT_EQ(run.config->model, "resnet18");
  EXPECT_EQ(run.config->image_size, 32);  // "img_size" then
  EXPECT_EQ(run.config->batch_size, 8);
  EXPECT_EQ(run.config->seed, 1234u);
  EXPECT_EQ(run.config->amp, "off");
  ASSERT_TRUE(run.config->channels_last);
  EXPECT_TRUE(*run.config->channels_last);
  ASSERT_TRUE(run.summary);
  EXPECT_EQ(run.summary->image_size, 32);  // "img_size" then
  EXPECT_EQ(run.summary->steps, 8);
  EXPECT_EQ(run.summary->epochs, 2);
  EXPECT_NEAR(run.summary->train_images_per_sec, 59.822520024459905, 1e-12);
  EXPECT_EQ(run.summary->train_images_seen, 64);
  EXPECT_TRUE(run.summary->telemetry.contains("train"));
  EXPECT_EQ(run.metrics.steps().size(), 8u);
  ASSERT_EQ(run.metrics.epochs().size(), 2u);
  EXPECT_EQ(run.metrics.epochs()[1].images, 32);
  EXPECT_NEAR(*run.metrics.epochs()[1].run_seconds, 1.802627914, 1e-12);
  ASSERT_EQ(run.metrics.evaluations().size(), 2u);
  EXPECT_EQ(run.metrics.evaluations()[0].images, 4);
  ASSERT_TRUE(run.provenance);
  EXPECT_EQ(run.provenance->libtorch_version, "1.13.0");
  EXPECT_EQ(run.classes.size(), 3u);
}

TEST(RunRecord, WrittenAndReadBackThroughTheTablesItIsTheSame) {
  RunSummary summary;
  summary.model = "resnet34";
  summary.image_size = 224;
  summary.steps = 77;
  summary.skipped_examples = {{"a/b.jpg", "not an image"}};
  summary.rank_images_per_sec = {1.5, 2.5};
  summary.sync_batch_norm = true;
  summary.telemetry = {{"train", {{"samples", 3}}}};
  const nlohmann::ordered_json written = to_json(summary);
  EXPECT_EQ(written["image_size"], 224);
  EXPECT_FALSE(written.contains("img_size"));  // one name
  EXPECT_EQ(to_json(run_summary_from_json(written)), written);

  TrainConfig config;
  config.image_size = 96;
  config.channels_last = std::nullopt;
  config.seed = 99;
  config.pretrained = "/w/resnet18d.safetensors";
  const nlohmann::ordered_json config_json = to_json(config);
  EXPECT_EQ(config_json["image_size"], 96);
  EXPECT_TRUE(config_json["channels_last"].is_null());
  EXPECT_EQ(to_json(train_config_from_json(config_json)), config_json);

  StepRecord step;
  step.step = 5;
  step.run_seconds = 2.5;
  EXPECT_EQ(to_json(*metrics_record_from_json(to_json(step))), to_json(step));
  EXPECT_EQ(to_json(step)["type"], "train_step");
  EXPECT_FALSE(metrics_record_from_json({{"type", "from_a_later_version"}}).has_value());
}

TEST(RunRecord, BadFilesAreOneClearErrorNamingTheFile) {
  testing::TempDir dir;
  fs::create_directories(dir / "run");
  std::ofstream(dir / "run" / "summary.json") << R"({"model": "resnet18", "image_size": "big"})";
  try {
    load_run_record(dir / "run");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("run's summary.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("image_size"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "run" / "summary.json") << "{";
  EXPECT_THROW(load_run_record(dir / "run"), UsageError);
  EXPECT_THROW(load_run_record(dir / "nowhere"), UsageError);
  fs::create_directories(dir / "empty");
  EXPECT_THROW(load_run_record(dir / "empty"), UsageError);
  std::ofstream(dir / "run" / "config.json") << R"({"model": "resnet18"})";
  std::ofstream(dir / "run" / "summary.json") << "{}";
  try {
    load_run_record(dir / "run");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json is incomplete: it has no 'data'"), std::string::npos) << e.what();
  }
}

// Every member of each record has its table entry. The structured bindings
// below stop compiling when a member is added: add it to its field table
// (run_summary.cpp, train_config.cpp, metrics_records.cpp), then here.
TEST(RunRecord, EveryFieldOfEveryRecordHasItsTableEntry) {
  {
    const RunSummary s;
    [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20, f21, f22,
                 f23, f24, f25, f26, f27, f28, f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39, f40] = s;
    EXPECT_EQ(run_summary_fields().size(), 40u);
  }
  {
    const TrainConfig c;
    [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20, f21, f22,
                 f23, f24, f25, f26, f27, f28, f29, f30, f31, f32, f33, f34, f35, f36] = c;
    // Less the three that are not the run's settings and never saved: progress
    // (display), overwrite (this invocation) and the tests' simulate_oom_at_step.
    EXPECT_EQ(train_config_fields().size(), 36u - 3u);
  }
  {
    const StepRecord r;
    [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6, f7, f8] = r;
    EXPECT_EQ(step_record_fields().size(), 8u);
  }
  {
    const EpochRecord r;
    [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6, f7] = r;
    EXPECT_EQ(epoch_record_fields().size(), 7u);
  }
  {
    const EvalRecord r;
    [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6] = r;
    EXPECT_EQ(eval_record_fields().size(), 6u);
  }
}

}  // namespace
}  // namespace trainbench::train
