#pragma once
// A training checkpoint: everything a run needs to continue exactly where it
// stopped, in one file (checkpoint.safetensors in the run folder), so that it
// is replaced as a whole, atomically, and a crash at any moment leaves the
// previous one readable. It is a safetensors file (validated by the strict
// reader in weights/safetensors.h) holding
//   model/<name>       the model's parameters and buffers,
//   optimizer/archive  the optimizer's state as LibTorch's archive bytes (uint8),
//   rng/cpu            the CPU generator's state (uint8),
// and in its metadata "format": "trainbench-checkpoint", "version": "1" and
// "state": the trainer's progress as JSON (train/resume_state.h).
#include <nlohmann/json.hpp>
#include <torch/optim/optimizer.h>
#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace trainbench::train {

struct TrainingCheckpoint {
  std::vector<std::pair<std::string, torch::Tensor>> model;  // state dict, CPU
  std::string optimizer_archive;  // torch::serialize::OutputArchive bytes
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

// The optimizer's state as archive bytes, and back. load throws RunError
// when the bytes are not an archive of this optimizer's state.
std::string optimizer_archive(torch::optim::Optimizer& optimizer);
void load_optimizer_archive(torch::optim::Optimizer& optimizer, const std::string& bytes, const std::string& name_for_errors);

}  // namespace trainbench::train
