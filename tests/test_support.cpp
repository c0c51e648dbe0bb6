#include "test_support.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <set>
#include <cstdio>
#include <fstream>
#include <csignal>
#include <thread>
#include <iterator>
#include <random>

#include "core/memory_format.h"
#include "core/precision.h"
#include "weights/safetensors.h"

namespace trainbench::testing {
namespace fs = std::filesystem;

namespace {
// `train` and `bench` store their results. CTest points TRAINBENCH_DB into
// the build folder; this does the same when the test binary is run by hand,
// so tests never add rows to the user's own results database.
const bool kResultsGoToATestDatabase = [] {
  setenv("TRAINBENCH_DB", (fs::temp_directory_path() / "trainbench-test-results.db").c_str(), /*overwrite=*/0);
  return true;
}();
}  // namespace

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "trainbench-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code error;
  fs::remove_all(path_, error);
}

fs::path source_dir() { return TRAINBENCH_SOURCE_DIR; }
fs::path trainbench_binary() { return TRAINBENCH_BINARY; }

std::string run_command(const std::string& command, int* exit_code) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::array<char, 4096> buffer;
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return output;
}

std::string trainbench_command(const std::string& args) { return "'" + trainbench_binary().string() + "' " + args; }

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  return nlohmann::json::parse(in);
}

pid_t spawn_trainbench(const std::vector<std::string>& args) {
  std::vector<std::string> argv_strings = {testing::trainbench_binary().string()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

int run_reference(const std::string& script, const std::vector<std::string>& args) {
  std::string command = "/usr/bin/python3 '" + (source_dir() / "tests" / "reference" / script).string() + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  int exit_code = 0;
  const std::string output = run_command(command + " 2>&1", &exit_code);
  if (exit_code != 0) std::fprintf(stderr, "%s failed (%d):\n%s\n", script.c_str(), exit_code, output.c_str());
  return exit_code;
}

std::map<std::string, torch::Tensor> read_tensor_file(const fs::path& path) {
  std::map<std::string, torch::Tensor> tensors;
  for (auto& [name, tensor] : weights::read_safetensors(path).tensors) tensors.emplace(name, std::move(tensor));
  return tensors;
}

void write_tensor_file(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors) {
  weights::write_safetensors(path, std::vector<std::pair<std::string, torch::Tensor>>(tensors.begin(), tensors.end()));
}

data::Image test_pattern(int width, int height, int seed) {
  data::Image image(width, height);
  std::mt19937 rng(static_cast<unsigned>(seed));
  const int cx = width / 3 + seed % 7, cy = height / 2;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::uint8_t* p = image.pixel(x, y);
      const bool inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) < (width * height) / 16;
      p[0] = static_cast<std::uint8_t>((x * 255) / std::max(1, width - 1));
      p[1] = static_cast<std::uint8_t>((y * 255) / std::max(1, height - 1));
      p[2] = inside ? 230 : static_cast<std::uint8_t>(rng() % 40);
    }
  }
  return image;
}

int train_steps_logged(const std::filesystem::path& run) {
  std::ifstream metrics(run / "metrics.jsonl");
  int steps = 0;
  for (std::string line; std::getline(metrics, line);) steps += line.find("\"train_step\"") != std::string::npos;
  return steps;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool wait_within(pid_t pid, std::chrono::seconds limit, int* status) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return false;
}

}  // namespace trainbench::testing

namespace trainbench::testing {

void load_every_tensor(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& reference) {
  torch::NoGradGuard no_grad;
  std::set<std::string> assigned;
  auto assign = [&](const std::string& name, torch::Tensor& target) {
    const auto it = reference.find(name);
    ASSERT_NE(it, reference.end()) << "reference has no " << name;
    ASSERT_EQ(target.sizes(), it->second.sizes()) << name;
    target.copy_(it->second);
    assigned.insert(name);
  };
  for (auto& item : model.named_parameters()) assign(item.key(), item.value());
  for (auto& item : model.named_buffers()) assign(item.key(), item.value());
  for (const auto& [name, tensor] : reference) {
    if (name != "input" && name != "logits") {
      EXPECT_TRUE(assigned.count(name)) << "our model lacks " << name;
    }
  }
}

double relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  return (actual - expected).abs().max().item<double>() / expected.abs().max().item<double>();
}

int expect_matches_reference(models::Classifier& model, const std::map<std::string, torch::Tensor>& reference,
                             double tolerance) {
  std::map<std::string, torch::Tensor> weights;
  for (const auto& [name, tensor] : reference) {
    if (name.rfind("grad.", 0) != 0 && name.rfind("after.", 0) != 0 && name != "input" && name != "labels" &&
        name.rfind("logits", 0) != 0) {
      weights.emplace(name, tensor);
    }
  }
  load_every_tensor(model, weights);
  model.eval();
  {
    torch::NoGradGuard no_grad;
    EXPECT_LT(relative_error(model.forward(reference.at("input")), reference.at("logits")), tolerance);
  }
  model.train();
  const torch::Tensor logits = model.forward(reference.at("input"));
  EXPECT_LT(relative_error(logits.detach(), reference.at("logits_train")), tolerance);
  // The running statistics that train-mode forward pass left, where the file has them.
  const auto buffers = model.named_buffers();
  for (const auto& [name, expected] : reference) {
    if (name.rfind("after.", 0) != 0) continue;
    const torch::Tensor* buffer = buffers.find(name.substr(6));
    EXPECT_NE(buffer, nullptr) << "our model lacks " << name.substr(6);
    if (buffer != nullptr) {
      EXPECT_LT(relative_error(*buffer, expected), tolerance) << name;
    }
  }
  torch::nn::functional::cross_entropy(logits, reference.at("labels")).backward();
  int compared = 0;
  for (const auto& item : model.named_parameters()) {
    const auto expected = reference.find("grad." + item.key());
    if (expected == reference.end()) continue;  // the references keep some blocks' gradients
    EXPECT_TRUE(item.value().grad().defined()) << item.key();
    if (!item.value().grad().defined()) continue;
    EXPECT_LT(relative_error(item.value().grad(), expected->second), tolerance) << item.key();
    ++compared;
  }
  return compared;
}

void expect_trains_a_step_under_bf16_autocast(models::Classifier& model, torch::MemoryFormat layout) {
  if (layout == torch::MemoryFormat::ChannelsLast) core::convert_to_channels_last(model);
  model.train();
  torch::Tensor logits;
  {
    const core::AutocastGuard autocast(core::AmpMode::kBf16, torch::kCPU);
    logits = model.forward(torch::randn({2, 3, 32, 32}).contiguous(layout));
  }
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  torch::nn::functional::cross_entropy(logits.to(torch::kFloat), torch::tensor({0, 2})).backward();
  for (const auto& item : model.named_parameters()) {
    ASSERT_TRUE(item.value().grad().defined()) << item.key();
    EXPECT_TRUE(torch::isfinite(item.value().grad()).all().item<bool>()) << item.key();
  }
}

}  // namespace trainbench::testing
