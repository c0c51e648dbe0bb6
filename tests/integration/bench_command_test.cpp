// `trainbench bench` as a user runs it: a small matrix on the CPU, on tiny
// sizes so each test takes a fraction of a second.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "bench/compare_inputs.h"
#include "bench/statistics.h"
#include "store/results_store.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::trainbench_command;

std::string bench_command(const std::string& args) {
  // Tiny and quick: resnet18 at 32 px, batch 4, 2 warm-up and 2 timed steps.
  return trainbench_command(
      "bench --model resnet18 --img-size 32 --warmup-steps 2 --steps 2 --threads 1 --no-progress " + args);
}

nlohmann::json run_json(const std::string& args, int* code) {
  const std::string out = testing::run_command(bench_command(args + " -o json"), code);
  return nlohmann::json::parse(out);
}

TEST(BenchCommand, PrecisionAndLayoutMatrixOnTheCpu) {
  int code = -1;
  const nlohmann::json rows = run_json("-b 4 --amp off,bf16 --channels-last 0,1 -r 3 --no-db", &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(rows.size(), 4u);
  const char* amps[] = {"off", "off", "bf16", "bf16"};
  for (int i = 0; i < 4; ++i) {
    const nlohmann::json& row = rows[i];
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["status"], "ok");
    EXPECT_EQ(row["amp"], amps[i]);
    EXPECT_EQ(row["channels_last"], i % 2 == 1);
    EXPECT_EQ(row["device"], "cpu");
    EXPECT_EQ(row["batch_size"], 4);
    EXPECT_EQ(row["mode"], "train");
    // Mean and sample standard deviation of the three per-repetition rates.
    const std::vector<double> samples = row["images_per_sec_samples"].get<std::vector<double>>();
    ASSERT_EQ(samples.size(), 3u);
    const bench::SampleSummary summary = bench::summarize(samples);
    EXPECT_NEAR(row["images_per_sec"].get<double>(), summary.mean, 1e-9 * summary.mean);
    EXPECT_NEAR(row["images_per_sec_std"].get<double>(), summary.stddev, 1e-9 * summary.mean);
    EXPECT_GT(summary.min, 0.0);
    // A timed step is 4 images: step time and rate agree.
    EXPECT_NEAR(row["step_seconds"].get<double>(), 4.0 / summary.mean, 0.5 * 4.0 / summary.mean);
    EXPECT_GT(row["cold_step_seconds"].get<double>(), 0.0);
    // Counted from the layers: resnet18 at 32 px is (32/224)^2 of its 3.64 GFLOPs at 224, give or take the
    // rounding of the small feature maps.
    EXPECT_GT(row["forward_flops_per_image"].get<double>(), 0.5e8);
    EXPECT_LT(row["forward_flops_per_image"].get<double>(), 1.5e8);
    EXPECT_DOUBLE_EQ(row["step_flops_per_image"].get<double>(), 3 * row["forward_flops_per_image"].get<double>());
    EXPECT_NEAR(row["achieved_tflops"].get<double>(),
                row["step_flops_per_image"].get<double>() * summary.mean / 1e12, 1e-9);
    EXPECT_GT(row["peak_memory_bytes"].get<double>(), 0.0);
    EXPECT_TRUE(row["forward_seconds"].is_null());  // only with --detail
    EXPECT_FALSE(row["libtorch_version"].get<std::string>().empty());
  }
  EXPECT_EQ(rows[0]["forward_flops_per_image"], rows[3]["forward_flops_per_image"]);
}

// A LIST option given twice adds to its list, as llama-bench's do, while a
// plain option given twice takes its last value. (bench_command already
// says --img-size 32.)
TEST(BenchCommand, ARepeatedListOptionAddsToTheList) {
  int code = -1;
  const nlohmann::json rows = run_json("--img-size 48 -b 4 -r 1 --mode infer --mode train --no-db --no-telemetry", &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["image_size"], 32);
  EXPECT_EQ(rows[1]["image_size"], 48);
  for (const nlohmann::json& row : rows) EXPECT_EQ(row["mode"], "train");
}

TEST(BenchCommand, OutOfMemoryHalvesTheBatchAndSaysSo) {
  int code = -1;
  nlohmann::json rows = run_json("-b 16 -r 1 --simulate-oom-above 5 --no-db", &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["status"], "ok");
  EXPECT_EQ(rows[0]["requested_batch_size"], 16);
  EXPECT_EQ(rows[0]["batch_size"], 4);
  EXPECT_EQ(rows[0]["note"], "out of memory at batch 16, 8: ran at 4");

  rows = run_json("-b 16 -r 1 --simulate-oom-above 5 --no-retry --no-db 2>/dev/null", &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_NE(rows[0]["error"].get<std::string>().find("out of memory"), std::string::npos);
}

TEST(BenchCommand, AFailingTestIsReportedAndTheRestRun) {
  int code = -1;
  const nlohmann::json rows = run_json("-b 2 -r 1 --device cuda:99,cpu --no-db 2>/dev/null", &code);
  EXPECT_EQ(code, 1);  // something failed
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["status"], "failed");
  EXPECT_FALSE(rows[0]["error"].get<std::string>().empty());
  EXPECT_EQ(rows[1]["status"], "ok");
  EXPECT_GT(rows[1]["images_per_sec"].get<double>(), 0.0);
}

TEST(BenchCommand, RealInputBothModesWithDetailGoIntoTheStore) {
  TempDir dir;
  int code = -1;
  testing::run_command(
      trainbench_command("data synth --classes 2 --per-class 6 --out '" + (dir / "data").string() + "' > /dev/null"),
      &code);
  ASSERT_EQ(code, 0);
  const fs::path db = dir / "results.db";
  const nlohmann::json rows = run_json("-b 4 -r 2 --mode both --input real --workers 1 --detail --data '" +
                                           (dir / "data").string() + "' --db '" + db.string() + "'",
                                       &code);
  ASSERT_EQ(code, 0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["mode"], "train");
  EXPECT_EQ(rows[1]["mode"], "infer");
  for (const nlohmann::json& row : rows) {
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["input"], "real");
    EXPECT_EQ(row["workers"], 1);
    EXPECT_GE(row["data_wait_seconds"].get<double>(), 0.0);
    EXPECT_GT(row["forward_seconds"].get<double>(), 0.0);
  }
  EXPECT_GT(rows[0]["backward_seconds"].get<double>(), 0.0);
  EXPECT_GT(rows[0]["optimizer_seconds"].get<double>(), 0.0);
  EXPECT_TRUE(rows[1]["backward_seconds"].is_null());  // inference has no backward pass
  EXPECT_DOUBLE_EQ(rows[1]["step_flops_per_image"].get<double>(), rows[1]["forward_flops_per_image"].get<double>());

  const store::ResultsStore results = store::ResultsStore::open(db);
  const core::Table stored = results.query(store::ResultKind::kBench, {});
  ASSERT_EQ(stored.rows.size(), 2u);
  EXPECT_EQ(stored.rows[1]["mode"], "infer");
  EXPECT_DOUBLE_EQ(stored.rows[0]["images_per_sec"].get<double>(), rows[0]["images_per_sec"].get<double>());
}

// `train` adds its summary to the store; `compare` reads it back by id and
// holds it against the run folder it came from: the same run, so the same
// figures.
TEST(BenchCommand, TrainStoresItsRunAndCompareReadsItBack) {
  TempDir dir;
  int code = -1;
  testing::run_command(
      trainbench_command("data synth --classes 2 --per-class 8 --out '" + (dir / "data").string() + "' > /dev/null"),
      &code);
  ASSERT_EQ(code, 0);
  const fs::path db = dir / "results.db";
  const fs::path run = dir / "run";
  const std::string out = testing::run_command(
      trainbench_command("train --model resnet18 --img-size 32 -b 4 --epochs 1 --threads 1 --workers 1 --no-progress "
                         "--data '" + (dir / "data").string() + "' --output '" + run.string() + "' --db '" +
                         db.string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("stored as train:1 in"), std::string::npos) << out;

  const core::Table stored = store::ResultsStore::open(db).query(store::ResultKind::kTrain, {});
  ASSERT_EQ(stored.rows.size(), 1u);
  EXPECT_EQ(stored.rows[0]["model"], "resnet18");
  EXPECT_EQ(stored.rows[0]["run_dir"], fs::absolute(run).string());
  EXPECT_GT(stored.rows[0]["train_images_per_sec"].get<double>(), 0.0);

  const nlohmann::json comparison = nlohmann::json::parse(testing::run_command(
      trainbench_command("compare -o json --db '" + db.string() + "' train:1 '" + run.string() + "'"), &code));
  ASSERT_EQ(code, 0) << comparison.dump(2);
  ASSERT_FALSE(comparison["pairs"].empty()) << comparison.dump(2);
  EXPECT_DOUBLE_EQ(comparison["pairs"][0]["ratio"].get<double>(), 1.0) << comparison.dump(2);
  EXPECT_NE(comparison["pairs"][0]["verdict"].get<std::string>().find("within 10% of"), std::string::npos);
}

// Ctrl-C ends a long test at once, prints the rows finished so far (none
// here) and exits 130. Without the check inside the test this one would run
// its 100000 steps for well over the test timeout.
TEST(BenchCommand, InterruptEndsTheRunningTestAndExits130) {
  TempDir dir;
  const fs::path out = dir / "out.json";
  const fs::path err = dir / "err.txt";
  const std::string command =
      "exec " + trainbench_command("bench --model resnet18 --img-size 32 -b 2 -r 1 --warmup-steps 1 --steps 100000 "
                                   "--threads 1 --no-progress --no-db -o json > '" +
                                   out.string() + "' 2> '" + err.string() + "'");
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  // Wait until the bench has started (its first line comes once Ctrl-C is
  // handled), then give the first test a moment to get under way.
  const auto started = [&] { return testing::read_text_file(err).find("bench: 1 tests") != std::string::npos; };
  for (int i = 0; i < 1200 && !started(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!started()) kill(pid, SIGKILL);  // never leave a 100000-step bench behind
  ASSERT_TRUE(started());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  int code = -1;
  EXPECT_EQ(nlohmann::json::parse(testing::run_command("cat '" + out.string() + "'", &code)), nlohmann::json::array());
  EXPECT_NE(testing::run_command("cat '" + err.string() + "'", &code).find("interrupted"), std::string::npos);
}

TEST(BenchCommand, BadInputIsOneClearLineBeforeAnyTestRuns) {
  int code = -1;
  std::string out = testing::run_command(bench_command("--input real --no-db 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("--input real needs --data"), std::string::npos) << out;
  out = testing::run_command(bench_command("-b 16-8 --no-db 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("ends before it starts"), std::string::npos) << out;
  out = testing::run_command(trainbench_command("bench --model resnet7 --no-db 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("unknown model 'resnet7'"), std::string::npos) << out;
  out = testing::run_command(bench_command("-o xml --no-db 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("xml"), std::string::npos) << out;
}

// The device profile: every family of `trainbench models` once, train and
// infer side by side with their TFLOP/s and peak memory (fp32 is the CPU's
// best, so one line each); the rows it keeps with --rows compare as any
// bench's. Matrix options are refused by name.
TEST(BenchCommand, ProfileMeasuresOneModelOfEachFamilyTrainAndInfer) {
  TempDir dir;
  int code = -1;
  const nlohmann::json models =
      nlohmann::json::parse(testing::run_command(trainbench_command("models --img-size 32 --json"), &code));
  ASSERT_EQ(code, 0);
  std::set<std::string> families;
  for (const nlohmann::json& model : models) families.insert(model["family"].get<std::string>());
  ASSERT_GE(families.size(), 2u);

  const fs::path rows_file = dir / "rows.json";
  const std::string out = testing::run_command(
      trainbench_command("bench --profile --img-size 32 -b 2 --warmup-steps 1 --steps 1 -r 1 --threads 1 "
                         "--no-progress --no-db -o json --rows '" + rows_file.string() + "'"),
      &code);
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json lines = nlohmann::json::parse(out);
  ASSERT_EQ(lines.size(), families.size()) << lines.dump(2);
  std::set<std::string> measured;
  for (const nlohmann::json& line : lines) {
    SCOPED_TRACE(line.dump());
    measured.insert(line["family"].get<std::string>());
    EXPECT_EQ(line["amp"], "off");
    EXPECT_EQ(line["image_size"], 32);
    EXPECT_EQ(line["batch_size"], 2);
    for (const char* mode : {"train", "infer"}) {
      EXPECT_GT(line[std::string(mode) + "_images_per_sec"].get<double>(), 0.0) << mode;
      EXPECT_GT(line[std::string(mode) + "_tflops"].get<double>(), 0.0) << mode;
      EXPECT_GT(line[std::string(mode) + "_peak_memory_mib"].get<double>(), 0.0) << mode;
    }
    // Training's FLOPs are 3x inference's per image: the TFLOP/s ratio is 3x the images/s ratio.
    const double flop_ratio = (line["train_tflops"].get<double>() / line["train_images_per_sec"].get<double>()) /
                              (line["infer_tflops"].get<double>() / line["infer_images_per_sec"].get<double>());
    EXPECT_NEAR(flop_ratio, 3.0, 1e-6);
  }
  EXPECT_EQ(measured, families);

  const std::vector<store::BenchRow> rows = bench::load_bench_file(rows_file);
  EXPECT_EQ(rows.size(), 2 * families.size());
  const std::string compared = testing::run_command(
      trainbench_command("compare '" + rows_file.string() + "' '" + rows_file.string() + "' -o json"), &code);
  ASSERT_EQ(code, 0) << compared;
  EXPECT_EQ(nlohmann::json::parse(compared)["pairs"].size(), 2 * families.size()) << compared;
  // The report of the rows charts achieved TFLOP/s, the rate that compares across families.
  const fs::path report = dir / "report.md";
  const std::string reported = testing::run_command(
      trainbench_command("report --bench '" + rows_file.string() + "' -o '" + report.string() + "' 2>&1"), &code);
  ASSERT_EQ(code, 0) << reported;
  EXPECT_NE(testing::read_text_file(report).find("Achieved TFLOP/s"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "report_files" / "bench-tflops.svg"));

  const std::string refused =
      testing::run_command(trainbench_command("bench --profile --model resnet18 --amp bf16 --no-db 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(refused.find("drop --model, --amp"), std::string::npos) << refused;
}

}  // namespace
}  // namespace trainbench
