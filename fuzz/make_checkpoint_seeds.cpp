// Writes fuzz/corpus/fuzz_checkpoint/: a real checkpoint as `train` writes it
// (train::write_checkpoint, a tiny model and its AdamW state after one step,
// and before any step),
// and resume states as JSON (train::to_json). Not part of the normal build:
//   cmake --build build/fuzz --target make_checkpoint_seeds && build/fuzz/make_checkpoint_seeds fuzz/corpus/fuzz_checkpoint
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "train/checkpoint.h"
#include "train/resume_state.h"

namespace fs = std::filesystem;
using namespace trainbench::train;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  torch::manual_seed(1);
  // One output and no bias: the smallest model whose AdamW still has
  // per-parameter state (step, exp_avg, exp_avg_sq), to keep the seed small.
  torch::nn::Linear model(torch::nn::LinearOptions(2, 1).bias(false));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  const OptimizerState fresh = adamw_state(optimizer);
  model->forward(torch::ones({1, 2})).sum().backward();
  optimizer.step();

  ResumeState state;
  state.epoch = 2;
  state.epoch_steps = 3;
  state.next_batch = 3;
  state.step = 7;
  state.metrics_bytes = 1234;
  state.run_seconds = 12.5;
  state.best_val_loss = 0.75;
  state.best_epoch = 1;
  state.scaler = {{"scale", 65536.0}, {"growth_tracker", 2.0}};
  state.skipped = {{"data/a.jpg", "corrupt JPEG"}};

  TrainingCheckpoint checkpoint;
  for (const auto& item : model->named_parameters()) checkpoint.model.emplace_back(item.key(), item.value().detach());
  checkpoint.optimizer = adamw_state(optimizer);
  // The real CPU generator state is ~5 KB; the reader takes any 1-D uint8 and
  // the fuzz target never applies it, so a short one keeps the seed small.
  checkpoint.rng_state = torch::arange(16, torch::kUInt8);
  checkpoint.state = to_json(state);
  write_checkpoint(out / "checkpoint.safetensors", checkpoint);
  checkpoint.optimizer = fresh;  // before any step: no per-parameter state
  checkpoint.state = to_json(ResumeState{});
  write_checkpoint(out / "checkpoint_first_step.safetensors", checkpoint);
  std::ofstream(out / "state.json") << to_json(state).dump();
  std::ofstream(out / "state_default.json") << to_json(ResumeState{}).dump();
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
