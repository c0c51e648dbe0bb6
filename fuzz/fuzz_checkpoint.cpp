// libFuzzer target: reading a training checkpoint, in the order `train
// --resume` does (Trainer::restore_checkpoint): train::parse_checkpoint
// (src/train/checkpoint.h) on the bytes, then train::resume_state_from_json on
// its "state". As the state JSON sits inside the header of a file whose first
// 8 bytes give the header's length, byte mutations rarely reach it whole; so
// every input is also tried as the state JSON by itself (the corpus holds both
// kinds). Anything malformed must end in trainbench::Error; any other
// exception, a crash or a sanitizer report is a finding.
//
// Once the state is accepted (as `train --resume` does), the optimizer state
// is loaded into an AdamW of the seeds' model (train::load_adamw_state), which
// must refuse anything but that model's state with a trainbench::Error.
// (Checkpoint version 1 held LibTorch's own optimizer archive instead, whose
// reader this target crashed within seconds: fuzz/README.md.)
//
// fuzz/CMakeLists.txt builds this target only once checkpoint.h declares
// parse_checkpoint.
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "train/checkpoint.h"
#if __has_include("train/resume_state.h")
#include "train/resume_state.h"
#define FUZZ_RESUME_STATE 1
#endif

namespace {

// Whether the state is one a resumed run goes on with.
bool check_state(const nlohmann::json& state) {
#ifdef FUZZ_RESUME_STATE
  try {
    (void)trainbench::train::resume_state_from_json(state);
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "state accepted\n");
    return true;
  } catch (const trainbench::Error& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "state refused: %s\n", e.what());
    return false;
  }
#else
  (void)state;
  return true;
#endif
}

// An AdamW of the model the seed checkpoints hold (2 inputs, 1 output, no
// bias); any other state must end in RunError too.
void check_optimizer_state(const trainbench::train::OptimizerState& state) {
  static torch::nn::Linear model(torch::nn::LinearOptions(2, 1).bias(false));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  try {
    trainbench::train::load_adamw_state(optimizer, state, "fuzz.checkpoint");
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "optimizer state loaded\n");
  } catch (const trainbench::Error& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "optimizer state refused: %.300s\n", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  torch::set_num_threads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const trainbench::train::TrainingCheckpoint checkpoint =
        trainbench::train::parse_checkpoint(data, size, std::string("fuzz.checkpoint"));
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "checkpoint accepted: %zu model tensors\n", checkpoint.model.size());
    // As the trainer: the optimizer state is loaded only after the resume state was accepted.
    if (check_state(checkpoint.state)) check_optimizer_state(checkpoint.optimizer);
  } catch (const trainbench::Error& e) {
    if (std::getenv("FUZZ_VERBOSE")) std::fprintf(stderr, "checkpoint refused: %.300s\n", e.what());
  }
  const nlohmann::json state = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (!state.is_discarded()) check_state(state);
  return 0;
}
