// `bench` data-parallel, through the built program with CPU ranks over
// loopback and Gloo: under `launch` the job's images/s with each rank's and
// the all-reduce wait, from rank 0 alone; `--scaling` running 1..N ranks and
// setting each against one rank; Ctrl-C stopping every rank together; and
// what a data-parallel bench refuses.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>

extern char** environ;

#include "dist/thread_ranks.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::quoted;
using testing::read_json;
using testing::TempDir;
using testing::trainbench_command;

// The smallest real training bench: resnet18 at 32 px, batch 4 per rank,
// one thread each, 2 windows of 2 steps, nothing stored or sampled.
const char* const kBenchFlags =
    "bench --model resnet18 --img-size 32 -b 4 --warmup-steps 1 --steps 2 -r 2 --threads 1 --no-db --no-progress "
    "--no-telemetry ";

std::string launch(int ranks) {
  return "launch --nproc-per-node " + std::to_string(ranks) + " --master-port " + std::to_string(testing::free_port()) +
         " --timeout 20 -- ";
}

std::string run(const std::string& args, int* code) {
  return testing::run_command(trainbench_command(args) + " 2>&1 </dev/null", code);
}

TEST(BenchParallel, UnderLaunchRankZeroReportsTheJobsImagesPerSecondEachRanksAndTheAllReduceWait) {
  TempDir dir;
  int code = -1;
  const std::string out = run(launch(2) + kBenchFlags + "--detail -o json --output-file " + quoted(dir / "rows.json"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("2 ranks over gloo"), std::string::npos) << out;
  EXPECT_EQ(out.find("[rank 1]"), std::string::npos) << "rank 1 prints nothing:\n" << out;
  const nlohmann::json rows = read_json(dir / "rows.json");
  ASSERT_EQ(rows.size(), 1u);
  const nlohmann::json& row = rows[0];
  EXPECT_EQ(row["status"], "ok") << row.dump();
  EXPECT_EQ(row["world_size"], 2);
  ASSERT_EQ(row["rank_images_per_sec"].size(), 2u);
  const double rank0 = row["rank_images_per_sec"][0].get<double>();
  const double rank1 = row["rank_images_per_sec"][1].get<double>();
  EXPECT_GT(rank0, 0.0);
  EXPECT_GT(rank1, 0.0);
  // The job's rate is the ranks' together (mean over windows of sums).
  EXPECT_NEAR(row["images_per_sec"].get<double>(), rank0 + rank1, 1e-6 * (rank0 + rank1));
  ASSERT_TRUE(row["all_reduce_wait_seconds"].is_number()) << row.dump();
  EXPECT_GE(row["all_reduce_wait_seconds"].get<double>(), 0.0);
  // --detail's backward includes that wait.
  EXPECT_GE(row["backward_seconds"].get<double>(), row["all_reduce_wait_seconds"].get<double>());
}

TEST(BenchParallel, ScalingRunsOneThenTwoRanksAndSetsEachAgainstOneRank) {
  TempDir dir;
  int code = -1;
  const std::string out =
      run(std::string(kBenchFlags) + "--scaling 2 -o json --output-file " + quoted(dir / "scaling.json"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("bench --scaling: 2 rank(s) (2 of 2)"), std::string::npos) << out;
  const nlohmann::json rows = read_json(dir / "scaling.json");
  ASSERT_EQ(rows.size(), 2u) << rows.dump();
  EXPECT_EQ(rows[0]["world_size"], 1);
  EXPECT_EQ(rows[1]["world_size"], 2);
  EXPECT_DOUBLE_EQ(rows[0]["efficiency"].get<double>(), 1.0);
  const double two = rows[1]["images_per_sec"].get<double>();
  const double one = rows[0]["images_per_sec"].get<double>();
  EXPECT_GT(two, 0.0);
  EXPECT_NEAR(rows[1]["efficiency"].get<double>(), two / (2 * one), 1e-9);
  EXPECT_TRUE(rows[1]["all_reduce_wait_seconds"].is_number()) << rows[1].dump();
}

// The ranks agree to stop between timed windows: Ctrl-C to launch ends a
// test of 2 x 5000 steps on both ranks within one window, with 130, no hang.
TEST(BenchParallel, CtrlCToLaunchStopsEveryRankAtTheSameWindow) {
  TempDir dir;
  const fs::path err = dir / "err.txt";
  const std::string command = "exec " + trainbench_command(launch(2) + kBenchFlags + "--steps 5000 -o json > " +
                                                           quoted(dir / "out.json") + " 2> " + quoted(err));
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  const auto started = [&] {
    return testing::read_text_file(err).find("bench: 1 tests, 2 ranks over gloo") != std::string::npos;
  };
  for (int i = 0; i < 1200 && !started(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!started()) kill(pid, SIGKILL);
  ASSERT_TRUE(started());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // into the warm-up or the first window
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_TRUE(testing::wait_within(pid, std::chrono::seconds(90), &status)) << "launch still running 90 s after Ctrl-C";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::string text = testing::read_text_file(err);
  EXPECT_NE(text.find("interrupted"), std::string::npos) << text;
  EXPECT_EQ(text.find("failed on rank"), std::string::npos) << "no rank was left in a collective:\n" << text;
}

TEST(BenchParallel, RefusesSeveralDevicesAndScalingInsideAJob) {
  int code = -1;
  const std::string devices = run(launch(1) + kBenchFlags + "--device cpu,cpu", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(devices.find("--device: a data-parallel bench runs every rank on one kind of device"), std::string::npos)
      << devices;
  const std::string nested = run(launch(1) + kBenchFlags + "--scaling 2", &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(nested.find("--scaling starts its own ranks"), std::string::npos) << nested;
}

}  // namespace
}  // namespace trainbench
