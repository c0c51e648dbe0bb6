#pragma once
// How a model runs: on which device, in which precision and memory layout.
// Training, evaluation and prediction share it, so an evaluated model runs
// exactly as the trained one did unless the user asks otherwise.
#include <torch/nn/module.h>
#include <torch/types.h>

#include "core/memory_format.h"
#include "core/precision.h"

namespace trainbench::train {

struct Execution {
  torch::Device device{torch::kCPU};
  core::AmpMode amp = core::AmpMode::kOff;
  bool channels_last = false;

  torch::MemoryFormat memory_format() const { return core::memory_format(channels_last); }
};

// Moves the model's parameters and buffers to the device, then into the
// layout (weights stay fp32: autocast casts per operation).
void place_model(torch::nn::Module& model, const Execution& execution);

}  // namespace trainbench::train
