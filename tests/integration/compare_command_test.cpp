// `trainbench compare` as a user runs it: two bench JSON files, a run folder
// against the published Titan RTX figures, the reference list, and bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "store/bench_row.h"
#include "test_support.h"
#include "train/train_config.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// `trainbench compare ARGS`. No stored ids are used here: the store points
// somewhere harmless anyway.
std::string compare_command(const std::string& args) {
  return "TRAINBENCH_DB=/nonexistent/results.db " + testing::trainbench_command("compare " + args);
}

store::BenchRow bench_row(const std::string& mode, const std::string& device, std::vector<double> samples) {
  store::BenchRow row;
  row.mode = mode;
  row.model = "resnet18d";
  row.device = device;
  row.amp = "bf16";
  row.batch_size = row.requested_batch_size = 32;
  row.image_size = 288;
  row.repetitions = static_cast<int>(samples.size());
  for (double s : samples) row.images_per_sec += s / samples.size();
  row.images_per_sec_samples = std::move(samples);
  return row;
}

void write_bench_json(const fs::path& file, const std::vector<store::BenchRow>& rows) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const store::BenchRow& row : rows) array.push_back(store::to_row(row));
  std::ofstream(file) << array.dump(2);
}

// A finished 3-epoch run of the reference workload's shape at 500 images/s.
void write_run_folder(const fs::path& folder) {
  fs::create_directories(folder);
  std::ofstream metrics(folder / "metrics.jsonl");
  for (int epoch = 1; epoch <= 3; ++epoch) {
    const double seconds = epoch == 1 ? 400.0 : (epoch == 2 ? 276.0 : 277.0);
    metrics << nlohmann::json({{"type", "train_epoch"}, {"epoch", epoch}, {"images", 138361}, {"seconds", seconds}})
            << "\n";
    metrics << nlohmann::json({{"type", "eval"}, {"epoch", epoch}, {"images", 15374}, {"seconds", 9.0}}) << "\n";
  }
  std::ofstream(folder / "summary.json") << nlohmann::json({{"model", "resnet18d"},
                                                            {"device", "cuda:0"},
                                                            {"device_name", "Test GPU"},
                                                            {"amp", "bf16"},
                                                            {"augment", "trivial-wide"},
                                                            {"img_size", 288},
                                                            {"batch_size", 32},
                                                            {"epochs", 3},
                                                            {"train_images", 138361},
                                                            {"val_images", 15374},
                                                            {"val_loss", 0.03},
                                                            {"val_accuracy", 0.994},
                                                            {"train_images_per_sec", 437.0},
                                                            {"first_epoch_images_per_sec", 345.9},
                                                            {"interrupted", false}})
                                                .dump(2);
  train::TrainConfig config;  // a whole config.json, as train writes it: the workload's defaults
  std::ofstream(folder / "config.json") << train::to_json(config).dump(2);
}

// Two runs at different image sizes did different work: compare prints what
// differs and no verdict; --normalise adds an estimate, labelled as one.
TEST(CompareCommand, RunsAtDifferentImageSizesGetNoVerdict) {
  TempDir dir;
  write_run_folder(dir / "big");
  write_run_folder(dir / "small");
  {
    std::ifstream in(dir / "small" / "summary.json");
    nlohmann::json summary = nlohmann::json::parse(in);
    summary["img_size"] = 144;
    std::ofstream(dir / "small" / "summary.json") << summary.dump(2);
  }
  const std::string both = "'" + (dir / "big").string() + "' '" + (dir / "small").string() + "'";
  int exit_code = -1;
  const std::string markdown = testing::run_command(compare_command(both), &exit_code);
  ASSERT_EQ(exit_code, 0) << markdown;
  EXPECT_NE(markdown.find("different work, so no faster/slower verdict: image_size (big: 288, small: 144)"),
            std::string::npos)
      << markdown;
  EXPECT_EQ(markdown.find("faster than"), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("slower than"), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("within 10%"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("different work: no verdict"), std::string::npos) << markdown;

  const nlohmann::json json = nlohmann::json::parse(testing::run_command(compare_command(both + " -o json"), &exit_code));
  EXPECT_EQ(json["same_work"], false);
  ASSERT_EQ(json["differing_settings"].size(), 1u) << json.dump(2);
  EXPECT_EQ(json["differing_settings"][0]["name"], "image_size");
  EXPECT_EQ(json["pairs"][0]["verdict"], "");
  EXPECT_TRUE(json["pairs"][0]["ratio"].is_null());

  const std::string normalised = testing::run_command(compare_command(both + " --normalise"), &exit_code);
  ASSERT_EQ(exit_code, 0) << normalised;
  // Same rate at a quarter of the pixels: the estimate at 288 px is about a quarter of big's.
  EXPECT_NE(normalised.find("different work: no verdict; estimate at big's work: about "), std::string::npos)
      << normalised;
  EXPECT_NE(normalised.find("(estimate: FLOP-normalised from "), std::string::npos) << normalised;
  EXPECT_NE(normalised.find("an estimate, not a measurement"), std::string::npos) << normalised;
}

TEST(CompareCommand, TwoBenchJsonFilesSideBySide) {
  TempDir dir;
  write_bench_json(dir / "a.json", {bench_row("train", "cuda:0", {99, 100, 101}), bench_row("infer", "cuda:0", {300, 301})});
  write_bench_json(dir / "b.json", {bench_row("train", "xpu:0", {65, 66, 67}), bench_row("infer", "xpu:0", {310, 312})});

  int exit_code = -1;
  const std::string json_text = testing::run_command(
      compare_command("'" + (dir / "a.json").string() + "' '" + (dir / "b.json").string() + "' -o json"), &exit_code);
  ASSERT_EQ(exit_code, 0) << json_text;  // a slower B is a finding, not an error
  const nlohmann::json json = nlohmann::json::parse(json_text);
  ASSERT_EQ(json["pairs"].size(), 2u) << json.dump(2);
  EXPECT_NEAR(json["pairs"][0]["ratio"].get<double>(), 0.66, 1e-9);
  EXPECT_EQ(json["pairs"][0]["verdict"], "34% slower than a.json");
  EXPECT_EQ(json["pairs"][0]["beyond_spread"], true);
  EXPECT_EQ(json["pairs"][1]["verdict"], "within 10% of a.json");
  EXPECT_EQ(json["pairs"][1]["beyond_spread"], true);  // 300.5 vs 311, se 0.5 and 1.0
  EXPECT_TRUE(json["unpaired_a"].empty());

  const std::string markdown = testing::run_command(
      compare_command("'" + (dir / "a.json").string() + "' '" + (dir / "b.json").string() + "'"), &exit_code);
  EXPECT_EQ(exit_code, 0);
  EXPECT_NE(markdown.find("| figure | a.json | b.json | B/A | verdict | beyond noise |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("34% slower than a.json"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("paired ignoring the device"), std::string::npos) << markdown;
}

TEST(CompareCommand, RunFolderAgainstThePublishedTitanFigures) {
  TempDir dir;
  write_run_folder(dir / "my-run");
  int exit_code = -1;
  const std::string output =
      testing::run_command(compare_command("--reference titan-rtx '" + (dir / "my-run").string() + "'"), &exit_code);
  ASSERT_EQ(exit_code, 0) << output;
  EXPECT_NE(output.find("Titan RTX (published)"), std::string::npos) << output;
  EXPECT_NE(output.find("published figures (blog post, May 2023), not measurements"), std::string::npos) << output;
  // Steady state 138361 / 276.5 s = 500.4 images/s against 707.2: 29% slower.
  EXPECT_NE(output.find("29% slower than Titan RTX (published)"), std::string::npos) << output;
  EXPECT_NE(output.find("both runs used seed 1234"), std::string::npos) << output;
  EXPECT_EQ(output.find("not the reference workload"), std::string::npos) << output;

  const std::string json_text = testing::run_command(
      compare_command("--reference titan-rtx '" + (dir / "my-run").string() + "' -o json"), &exit_code);
  ASSERT_EQ(exit_code, 0) << json_text;
  const nlohmann::json json = nlohmann::json::parse(json_text);
  EXPECT_EQ(json["a"]["label"], "Titan RTX (published)");
  EXPECT_EQ(json["b"]["label"], "my-run");
  bool accuracy_seen = false;
  for (const nlohmann::json& pair : json["pairs"]) {
    if (pair["name"] != "final val accuracy") continue;
    accuracy_seen = true;
    EXPECT_EQ(pair["beyond_spread"], false);  // 0.994 vs 0.995 on 15374 images: within noise
  }
  EXPECT_TRUE(accuracy_seen) << json.dump(2);
}

TEST(CompareCommand, ReferenceListAndBadInput) {
  int exit_code = -1;
  const std::string list = testing::run_command(compare_command("--reference list"), &exit_code);
  EXPECT_EQ(exit_code, 0);
  for (const char* name : {"titan-rtx", "arc-a770", "arc-a770-blocked-layout", "arc-a770-wsl"}) {
    EXPECT_NE(list.find(name), std::string::npos) << name << "\n" << list;
  }
  EXPECT_NE(list.find("not measurements"), std::string::npos);

  const std::string error = testing::run_command(compare_command("no-such-thing other 2>&1"), &exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_NE(error.find("train:ID"), std::string::npos) << error;
  testing::run_command(compare_command("--reference nvidia-9090 no-such-run 2>&1"), &exit_code);
  EXPECT_EQ(exit_code, 1);
}

}  // namespace
}  // namespace trainbench
