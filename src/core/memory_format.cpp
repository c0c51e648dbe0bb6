#include "core/memory_format.h"

#include <torch/torch.h>

namespace trainbench::core {

void convert_to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& parameter : module.parameters()) {
    if (parameter.dim() != 4) continue;
    parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
    if (parameter.grad().defined()) {
      parameter.mutable_grad() = parameter.grad().contiguous(torch::MemoryFormat::ChannelsLast);
    }
  }
}

bool default_channels_last(const torch::Device& device, AmpMode amp) {
  // MEASURED_DEFAULTS
  (void)amp;
  return device.is_cuda();
}

}  // namespace trainbench::core
