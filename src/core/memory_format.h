#pragma once
// Memory layout of activations and convolution weights (`--channels-last`).
// On tensor-core GPUs and in oneDNN, NHWC ("channels-last") convolutions
// avoid layout conversions around every layer; which layout wins depends on
// the device and the precision, so the default is chosen per pair from
// measurements (see default_channels_last).
#include <torch/nn/module.h>
#include <torch/types.h>

#include "core/precision.h"

namespace trainbench::core {

// Converts every 4-D parameter (convolution weights) of `module` to
// channels-last in place, with any gradient it already has. C++'s
// nn::Module::to cannot change memory format (Python's can), and autograd
// gives each new gradient the layout of its parameter, so converting the
// parameters once keeps weights, gradients and optimizer state in one layout.
void convert_to_channels_last(torch::nn::Module& module);

// The layout that trains faster for this device and precision, by measurement.
bool default_channels_last(const torch::Device& device, AmpMode amp);

inline torch::MemoryFormat memory_format(bool channels_last) {
  return channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
}

}  // namespace trainbench::core
