#pragma once
// A training checkpoint: everything a run needs to continue exactly where it
// stopped, in one file (checkpoint.safetensors in the run folder), so that it
// is replaced as a whole, atomically, and a crash at any moment leaves the
// previous one readable. It is a safetensors file (validated by the strict
// reader in weights/safetensors.h) holding
//   model/<name>       the model's parameters and buffers,
//   optimizer/<name>   AdamW's per-parameter state (train/optimizer_state.h),
//   rng/cpu            the CPU generator's state (uint8),
// and in its metadata "format": "trainbench-checkpoint", "version": "2",
// "optimizer": AdamW's parameter groups as JSON and "state": the trainer's
// progress as JSON (train/resume_state.h). Version 1 held the optimizer as
// LibTorch's archive bytes, whose reader is not safe on hostile files.
#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "train/optimizer_state.h"

namespace trainbench::train {

struct TrainingCheckpoint {
  std::vector<std::pair<std::string, torch::Tensor>> model;  // state dict, CPU
  OptimizerState optimizer;       // its tensors on the CPU
  torch::Tensor rng_state;        // uint8, at::Generator::get_state() of the CPU generator
  nlohmann::json state;           // the trainer's progress; checked by resume_state_from_json
};

// Writes atomically (temporary file, fsync, rename, fsync of the folder).
// Throws Error naming the file and the reason (a full disk, ...); the
// previous checkpoint is then unchanged.
void write_checkpoint(const std::filesystem::path& path, const TrainingCheckpoint& checkpoint);

// Throws RunError naming the file for anything that is not a whole
// checkpoint of this format; never reads out of bounds.
TrainingCheckpoint read_checkpoint(const std::filesystem::path& path);
TrainingCheckpoint parse_checkpoint(const std::uint8_t* data, std::size_t size, const std::string& name_for_errors);

}  // namespace trainbench::train
