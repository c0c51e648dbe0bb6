// Runs that survive: SIGKILL at an arbitrary step then `train --resume` ends
// bitwise equal to a run never stopped; SIGINT/SIGTERM write a checkpoint and
// exit 130/143; a non-finite loss stops with the last good checkpoint; out of
// memory names the batch size and the step to resume from; a checkpoint that
// cannot be written is said and the run goes on.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <random>
#include <thread>

#include "data/image_codec.h"
#include "test_support.h"

namespace trainbench {
namespace {

namespace fs = std::filesystem;
using testing::read_json;
using testing::TempDir;
using testing::train_steps_logged;
using testing::trainbench_command;

// 3 classes x 20 images: 54 train (13 batches of 4 and one of 2), 6 val.
void make_mixed_format_set(const fs::path& root) {
  std::mt19937 rng(3);
  for (int c = 0; c < 3; ++c) {
    const fs::path folder = root / ("class" + std::to_string(c));
    fs::create_directories(folder);
    for (int i = 0; i < 20; ++i) {
      data::Image image(28 + static_cast<int>(rng() % 8), 28);
      for (std::uint8_t& value : image.pixels) value = static_cast<std::uint8_t>(40 + 70 * c + rng() % 60);
      data::write_file_bytes(folder / ("i" + std::to_string(i) + (i % 2 ? ".png" : ".jpg")),
                             i % 2 ? data::encode_png(image) : data::encode_jpeg(image, 90));
    }
  }
}

// The run every test continues or compares with: 3 epochs of 14 steps, a
// checkpoint every 5 steps, with the workload's augmentation so that its
// random draws are part of what must repeat.
std::vector<std::string> train_args(const fs::path& data, const fs::path& run, const std::string& model = "resnet18") {
  return {"train", "--data", data.string(), "--model", model, "--img-size", "32", "-b", "4", "--epochs", "3",
          "--threads", "1", "--workers", "1", "--checkpoint-every", "5", "--no-progress", "--no-db",
          "--telemetry-interval", "0.2", "--output", run.string()};
}

std::string join_args(const std::vector<std::string>& args) {
  std::string text;
  for (const std::string& arg : args) text += " '" + arg + "'";
  return text;
}

// Starts a run and sends `signal` once it has logged `steps` steps; returns the exit status.
int run_until_signalled(const std::vector<std::string>& args, const fs::path& run, int steps, int signal) {
  const pid_t pid = testing::spawn_trainbench(args);
  if (pid <= 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (train_steps_logged(run) < steps && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

void expect_bitwise_equal_weights(const fs::path& a, const fs::path& b) {
  const auto left = testing::read_tensor_file(a);
  const auto right = testing::read_tensor_file(b);
  ASSERT_EQ(left.size(), right.size());
  for (const auto& [name, tensor] : left) {
    ASSERT_TRUE(right.count(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, right.at(name))) << name << " differs";
  }
}

// Every step 1..N logged exactly once, in order.
void expect_each_step_once(const fs::path& run, int total) {
  std::ifstream metrics(run / "metrics.jsonl");
  int expected = 1;
  for (std::string line; std::getline(metrics, line);) {
    const nlohmann::json record = nlohmann::json::parse(line);
    if (record["type"] == "train_step") {
      EXPECT_EQ(record["step"].get<int>(), expected++);
    }
  }
  EXPECT_EQ(expected - 1, total);
}

class Resume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    make_mixed_format_set(*dir_ / "data");
    int code = -1;
    const std::string out =
        testing::run_command(trainbench_command(join_args(train_args(*dir_ / "data", *dir_ / "reference"))), &code);
    ASSERT_EQ(code, 0) << out;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path data() { return *dir_ / "data"; }
  static fs::path reference() { return *dir_ / "reference"; }
  static TempDir* dir_;
};
TempDir* Resume::dir_ = nullptr;

TEST_F(Resume, AfterSigkillAtAnArbitraryStepEndsBitwiseEqualToAnUninterruptedRun) {
  ASSERT_EQ(read_json(reference() / "summary.json")["steps"], 42);
  // Step 19: in the middle of epoch 2, between checkpoints (15 and 20).
  const fs::path run = *dir_ / "killed";
  const int status = run_until_signalled(train_args(data(), run), run, 19, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_FALSE(fs::exists(run / "summary.json"));
  const int logged = train_steps_logged(run);
  EXPECT_GE(logged, 19);
  EXPECT_LT(logged, 42);

  int code = -1;
  const std::string out = testing::run_command(trainbench_command("train --no-progress --no-db --resume '" + run.string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Resuming"), std::string::npos) << out;
  expect_bitwise_equal_weights(reference() / "last_model.safetensors", run / "last_model.safetensors");
  expect_bitwise_equal_weights(reference() / "best_model.safetensors", run / "best_model.safetensors");
  expect_each_step_once(run, 42);
  const nlohmann::json a = read_json(reference() / "summary.json");
  const nlohmann::json b = read_json(run / "summary.json");
  for (const char* key : {"steps", "epochs", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "best_epoch"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
  EXPECT_FALSE(b["interrupted"].get<bool>());

  // Resuming a finished run does nothing and says so.
  const std::string again = testing::run_command(trainbench_command("train --no-db --resume '" + run.string() + "'"), &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(again.find("is finished"), std::string::npos) << again;
}

// A family whose forward pass draws random numbers (EfficientNet's head
// dropout, 0.2) resumes bitwise too: the generator's state is checkpointed.
TEST_F(Resume, EfficientNetWithDropoutResumesBitwiseEqualToAnUninterruptedRun) {
  const fs::path whole = *dir_ / "efficientnet-whole";
  int code = -1;
  std::string out = testing::run_command(trainbench_command(join_args(train_args(data(), whole, "efficientnet_b0"))), &code);
  ASSERT_EQ(code, 0) << out;
  const fs::path run = *dir_ / "efficientnet-killed";
  const int status = run_until_signalled(train_args(data(), run, "efficientnet_b0"), run, 23, SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_FALSE(fs::exists(run / "summary.json"));
  out = testing::run_command(trainbench_command("train --no-progress --no-db --resume '" + run.string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  expect_bitwise_equal_weights(whole / "last_model.safetensors", run / "last_model.safetensors");
  expect_each_step_once(run, 42);
  EXPECT_EQ(read_json(whole / "summary.json")["val_loss"], read_json(run / "summary.json")["val_loss"]);
}

TEST_F(Resume, SigintAndSigtermWriteACheckpointAndExit130And143) {
  for (const int signal : {SIGINT, SIGTERM}) {
    const fs::path run = *dir_ / ("signalled-" + std::to_string(signal));
    const int status = run_until_signalled(train_args(data(), run), run, 8, signal);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 128 + signal);
    const nlohmann::json summary = read_json(run / "summary.json");
    EXPECT_TRUE(summary["interrupted"].get<bool>());
    ASSERT_TRUE(fs::exists(run / "checkpoint.safetensors"));
    // The checkpoint is of the last step taken: resuming logs no step twice.
    int code = -1;
    const std::string out = testing::run_command(trainbench_command("train --no-progress --no-db --resume '" + run.string() + "'"), &code);
    ASSERT_EQ(code, 0) << out;
    expect_each_step_once(run, 42);
    expect_bitwise_equal_weights(reference() / "last_model.safetensors", run / "last_model.safetensors");
  }
}

TEST_F(Resume, AFolderWithoutACheckpointStartsAgainAndAMissingOneIsAnError) {
  const fs::path run = *dir_ / "early";
  fs::create_directories(run);
  fs::copy_file(reference() / "config.json", run / "config.json");
  nlohmann::json config = read_json(run / "config.json");
  config["output"] = run.string();
  std::ofstream(run / "config.json") << config.dump();
  int code = -1;
  const std::string out = testing::run_command(trainbench_command("train --no-progress --no-db --resume '" + run.string() + "'"), &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("no checkpoint yet: starting it again"), std::string::npos) << out;
  expect_bitwise_equal_weights(reference() / "last_model.safetensors", run / "last_model.safetensors");

  const std::string missing = testing::run_command(
      trainbench_command("train --no-db --resume '" + (*dir_ / "data").string() + "' 2>&1"), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(missing.find("not a run folder"), std::string::npos) << missing;
}

TEST_F(Resume, ANonFiniteLossStopsTheRunWithTheLastGoodCheckpoint) {
  const fs::path run = *dir_ / "diverged";
  std::vector<std::string> args = train_args(data(), run);
  args.insert(args.end(), {"--lr", "1e30"});
  int code = -1;
  const std::string out = testing::run_command(trainbench_command(join_args(args)), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("Stopped: the loss is"), std::string::npos) << out;
  const nlohmann::json summary = read_json(run / "summary.json");
  const std::string stopped = summary["stopped"].get<std::string>();
  EXPECT_EQ(stopped.rfind("non-finite loss at step ", 0), 0u) << stopped;
  // The checkpoint holds the weights before the bad step: all finite.
  for (const auto& [name, tensor] : testing::read_tensor_file(run / "last_model.safetensors")) {
    if (tensor.is_floating_point()) {
      EXPECT_TRUE(torch::isfinite(tensor).all().item<bool>()) << name;
    }
  }
  EXPECT_TRUE(fs::exists(run / "checkpoint.safetensors"));
}

// No CPU runs out of device memory, so the step fails by the hidden
// --simulate-oom-at-step, through the same path as a real one.
TEST_F(Resume, OutOfMemoryNamesTheBatchSizeAndTheRunResumesFromItsLastCheckpoint) {
  const fs::path run = *dir_ / "oom";
  std::vector<std::string> args = train_args(data(), run);
  args.insert(args.end(), {"--simulate-oom-at-step", "18"});
  int code = -1;
  const std::string out = testing::run_command(trainbench_command(join_args(args)) + " 2>&1", &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("out of memory on cpu at batch size 4 (step 18): lower -b/--batch-size (e.g. -b 2); "
                     "train --resume " + run.string() + " continues from step 15"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(run / "summary.json"));

  const std::string resumed =
      testing::run_command(trainbench_command("train --no-progress --no-db --resume '" + run.string() + "'"), &code);
  ASSERT_EQ(code, 0) << resumed;
  expect_each_step_once(run, 42);
  expect_bitwise_equal_weights(reference() / "last_model.safetensors", run / "last_model.safetensors");
}

TEST_F(Resume, ACheckpointThatCannotBeWrittenIsSaidAndTheRunGoesOn) {
  // A file-size limit of 120000 blocks (61 MB in POSIX sh's 512-byte blocks,
  // 123 MB in bash's 1 KiB ones): the weights (45 MB) fit, a checkpoint
  // (weights and AdamW's two moments, 134 MB) does not, as on a nearly full disk.
  const fs::path run = *dir_ / "full";
  int code = -1;
  const std::string out = testing::run_command(
      "ulimit -f 120000 && " + trainbench_command(join_args(train_args(data(), run))) + " 2>&1", &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("not saved"), std::string::npos) << out;
  EXPECT_NE(out.find("File too large"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(run / "checkpoint.safetensors"));
  // Nothing half-written is left behind.
  for (const auto& entry : fs::directory_iterator(run)) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
  }
  expect_bitwise_equal_weights(reference() / "last_model.safetensors", run / "last_model.safetensors");
}

}  // namespace
}  // namespace trainbench
