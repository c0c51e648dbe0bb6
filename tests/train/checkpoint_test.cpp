#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <csignal>
#include <fstream>

#include "core/error.h"
#include "test_support.h"
#include "weights/safetensors.h"

namespace trainbench::train {
namespace {

namespace fs = std::filesystem;

struct TinyModel : torch::nn::Module {
  TinyModel() {
    linear = register_module("linear", torch::nn::Linear(4, 3));
    norm = register_module("norm", torch::nn::BatchNorm1d(3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return norm(linear(x)); }
  torch::nn::Linear linear{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};

// A checkpoint of a model and an AdamW that took two steps (so its moments
// and step count are not at their initial values).
TrainingCheckpoint trained_checkpoint(TinyModel& model, torch::optim::AdamW& optimizer) {
  for (int i = 0; i < 2; ++i) {
    optimizer.zero_grad();
    model.forward(torch::randn({8, 4})).pow(2).mean().backward();
    optimizer.step();
  }
  TrainingCheckpoint checkpoint;
  for (const auto& item : model.named_parameters()) checkpoint.model.emplace_back(item.key(), item.value().detach());
  for (const auto& item : model.named_buffers()) checkpoint.model.emplace_back(item.key(), item.value());
  checkpoint.optimizer = adamw_state(optimizer);
  checkpoint.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  checkpoint.state = {{"epoch", 2}, {"step", 19}};
  return checkpoint;
}

TEST(Checkpoint, RoundTripsModelOptimizerRandomStateAndProgress) {
  testing::TempDir dir;
  torch::manual_seed(7);
  TinyModel model;
  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(0.01));
  const TrainingCheckpoint written = trained_checkpoint(model, optimizer);
  write_checkpoint(dir / "checkpoint.safetensors", written);

  const TrainingCheckpoint read = read_checkpoint(dir / "checkpoint.safetensors");
  ASSERT_EQ(read.model.size(), written.model.size());
  for (std::size_t i = 0; i < read.model.size(); ++i) {
    EXPECT_EQ(read.model[i].first, written.model[i].first);
    EXPECT_TRUE(torch::equal(read.model[i].second, written.model[i].second)) << read.model[i].first;
  }
  EXPECT_TRUE(torch::equal(read.rng_state, written.rng_state));
  EXPECT_EQ(read.state, written.state);
  EXPECT_EQ(read.optimizer.groups, written.optimizer.groups);
  ASSERT_EQ(read.optimizer.tensors.size(), written.optimizer.tensors.size());
  for (std::size_t i = 0; i < read.optimizer.tensors.size(); ++i) {
    EXPECT_EQ(read.optimizer.tensors[i].first, written.optimizer.tensors[i].first);
    EXPECT_TRUE(torch::equal(read.optimizer.tensors[i].second, written.optimizer.tensors[i].second));
  }
}

std::string error_of(const std::vector<std::uint8_t>& bytes) {
  try {
    parse_checkpoint(bytes.data(), bytes.size(), "cp");
  } catch (const RunError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Checkpoint, AnythingButAWholeCheckpointIsAnError) {
  const std::vector<std::pair<std::string, torch::Tensor>> weights = {{"model/w", torch::ones({2})}};
  // Plain weights are not a checkpoint.
  EXPECT_NE(error_of(weights::serialize_safetensors(weights)).find("not a trainbench checkpoint"), std::string::npos);
  // A newer format version.
  EXPECT_NE(error_of(weights::serialize_safetensors(weights, {{"format", "trainbench-checkpoint"}, {"version", "9"}}))
                .find("version '9'"),
            std::string::npos);
  // Version 1, which held LibTorch's optimizer archive.
  EXPECT_NE(error_of(weights::serialize_safetensors(weights, {{"format", "trainbench-checkpoint"}, {"version", "1"}}))
                .find("earlier trainbench"),
            std::string::npos);
  // No optimizer state.
  EXPECT_NE(error_of(weights::serialize_safetensors(
                         weights, {{"format", "trainbench-checkpoint"}, {"version", "2"}, {"state", "{}"}}))
                .find("missing"),
            std::string::npos);
  // A state that is not JSON.
  EXPECT_NE(error_of(weights::serialize_safetensors(
                         weights, {{"format", "trainbench-checkpoint"}, {"version", "2"}, {"state", "{nope"}}))
                .find("not a JSON object"),
            std::string::npos);

  // A real checkpoint cut short anywhere.
  testing::TempDir dir;
  TinyModel model;
  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(0.01));
  write_checkpoint(dir / "c", trained_checkpoint(model, optimizer));
  std::ifstream in(dir / "c", std::ios::binary);
  const std::vector<std::uint8_t> whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{100}, whole.size() / 2, whole.size() - 1}) {
    const std::vector<std::uint8_t> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_NE(error_of(part), "no error") << cut;
  }
  EXPECT_EQ(error_of(whole), "no error");  // and whole, it parses
}

// A write that fails half-way (here a file-size limit, as a full disk would)
// leaves the previous checkpoint whole and no temporary file behind.
TEST(Checkpoint, AFailedWriteKeepsThePreviousCheckpoint) {
  testing::TempDir dir;
  TinyModel model;
  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(0.01));
  TrainingCheckpoint checkpoint = trained_checkpoint(model, optimizer);
  write_checkpoint(dir / "checkpoint.safetensors", checkpoint);
  const auto before = fs::file_size(dir / "checkpoint.safetensors");

  checkpoint.model.emplace_back("big", torch::zeros({1 << 20}));  // 4 MiB more
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 1 << 20;
  setrlimit(RLIMIT_FSIZE, &small);
  std::string message;
  try {
    write_checkpoint(dir / "checkpoint.safetensors", checkpoint);
  } catch (const Error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("checkpoint.safetensors"), std::string::npos) << message;
  EXPECT_EQ(fs::file_size(dir / "checkpoint.safetensors"), before);
  EXPECT_NO_THROW(read_checkpoint(dir / "checkpoint.safetensors"));
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace trainbench::train
