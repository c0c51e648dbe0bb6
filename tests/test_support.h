#pragma once
// Helpers shared by the tests: temporary folders, running the Python
// reference (Debian's /usr/bin/python3 with torch and torchvision), and the
// simple tensor file the reference scripts write.
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/image.h"
#include "models/classifier.h"

namespace trainbench::testing {

// A fresh folder under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path source_dir();
std::filesystem::path trainbench_binary();

// Runs tests/reference/<script> with /usr/bin/python3 and the arguments;
// returns its exit code (stdout/stderr go to the test log).
int run_reference(const std::string& script, const std::vector<std::string>& args);

// Runs a shell command line, capturing stdout (stderr goes to the test log);
// *exit_code receives the exit status.
std::string run_command(const std::string& command, int* exit_code);

// The shell command line that runs the built trainbench with `args`, for
// run_command. `args` is shell text: quote paths in it yourself (quoted).
std::string trainbench_command(const std::string& args);

// A path in single quotes, for shell text (test paths hold no quote).
inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

// A JSON file a command wrote (summary.json, a model card, ...), parsed.
// Throws, failing the test, when it is missing or not JSON.
nlohmann::json read_json(const std::filesystem::path& path);

// A text file whole ("" when it cannot be read).
std::string read_text_file(const std::filesystem::path& path);

// Waits for process `pid` at most `limit` and puts its wait status in
// *status; false, with the process SIGKILLed and reaped, past the limit.
bool wait_within(pid_t pid, std::chrono::seconds limit, int* status);

// The train steps a run folder's metrics.jsonl has logged so far.
int train_steps_logged(const std::filesystem::path& run);

// Starts the trainbench binary with these arguments in the background (no
// shell); returns its pid (-1 when it cannot start), to signal and waitpid.
pid_t spawn_trainbench(const std::vector<std::string>& args);

// The safetensors files tests/reference/tensor_file.py writes and reads, by
// name (through weights/safetensors.h, so the tests exercise the one reader).
// Throw ModelError as read_safetensors / write_safetensors do.
std::map<std::string, torch::Tensor> read_tensor_file(const std::filesystem::path& path);

// Copies every reference tensor into the model's parameter or buffer of the
// same name; fails the test on a name or shape the model does not have, and
// on any of the model's left unset ("input" and "logits" are not weights).
void load_every_tensor(torch::nn::Module& model, const std::map<std::string, torch::Tensor>& reference);

// The largest difference relative to the largest expected value.
double relative_error(const torch::Tensor& actual, const torch::Tensor& expected);

// A model against a parity reference file (tests/reference/vit_reference.py,
// convnext_reference.py, mobile_reference.py): loads its weights (every
// tensor but "input", "labels", "logits", "logits_train", "after.*" and
// "grad.*") with load_every_tensor, expects the eval and train-mode logits of
// "input" within `tolerance` (relative_error), the buffers the train-mode
// pass left ("after.<name>": batch-norm running statistics) within it,
// back-propagates the mean cross-entropy of the train-mode logits against
// "labels", and expects each gradient the file holds ("grad.<name>") within
// `tolerance` of that tensor's largest. Returns how many gradients it
// compared.
int expect_matches_reference(models::Classifier& model, const std::map<std::string, torch::Tensor>& reference,
                             double tolerance = 1e-4);

// One training step under bf16 autocast at 32 px (the CPU's native
// precision here), in `layout` (the model converted to channels-last for
// ChannelsLast): the logits come out bf16 (every family's head is a matrix
// product) and every parameter gets a finite gradient.
void expect_trains_a_step_under_bf16_autocast(models::Classifier& model,
                                              torch::MemoryFormat layout = torch::MemoryFormat::Contiguous);
void write_tensor_file(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors);

// A deterministic test picture with gradients and edges (not flat, so
// resampling and codecs are exercised).
data::Image test_pattern(int width, int height, int seed = 0);

}  // namespace trainbench::testing
