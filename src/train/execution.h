#pragma once
// How a model runs: on which device, in which precision and memory layout.
// Training, evaluation, prediction and the bench share it, so an evaluated
// model runs exactly as the trained one did unless the user asks otherwise.
//
// A request ("auto" and the flags as given) is resolved into an Execution
// once, by resolve_execution, at the top of each command; everything below
// receives the typed values and never parses a setting's text again.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <optional>
#include <string>

#include "core/memory_format.h"
#include "core/precision.h"
#include "dist/launch_environment.h"

namespace trainbench::train {

// The flags as given: --device, --amp, --channels-last/--no-channels-last.
struct ExecutionRequest {
  std::string device = "auto";        // auto, cpu, cuda, cuda:N, xpu[:N], mps
  std::string amp = "auto";           // auto, off, bf16, fp16
  std::optional<bool> channels_last;  // unset: the measured default for device and precision
};

struct Execution {
  torch::Device device{torch::kCPU};
  core::AmpMode amp = core::AmpMode::kOff;
  bool channels_last = false;

  torch::MemoryFormat memory_format() const { return core::memory_format(channels_last); }
};

// The one resolution of a request: "auto" device (an unindexed "cuda" in a
// data-parallel job is the rank's own GPU, cuda:LOCAL_RANK), "auto" precision
// (core::default_amp_mode) and checked against the device (DeviceError naming
// what would run), the layout's default for that device and precision.
// `identity` is the job this process belongs to (nullopt: a lone process).
Execution resolve_execution(const ExecutionRequest& request, const std::optional<dist::LaunchIdentity>& identity);

// The GPU of a job's local rank among `visible_gpus`: the only one when it
// sees one (Slurm's --gpus-per-task, or CUDA_VISIBLE_DEVICES set per rank),
// else its LOCAL_RANK; UsageError when there are fewer GPUs than local ranks.
c10::DeviceIndex rank_gpu_index(const dist::LaunchIdentity& identity, int visible_gpus);

// Moves the model's parameters and buffers to the device, then into the
// layout (weights stay fp32: autocast casts per operation).
void place_model(torch::nn::Module& model, const Execution& execution);

}  // namespace trainbench::train
