#include "train/execution.h"

#include <torch/cuda.h>

#include "core/device.h"
#include "core/error.h"

namespace trainbench::train {

Execution resolve_execution(const ExecutionRequest& request, const std::optional<dist::LaunchIdentity>& identity) {
  Execution execution;
  execution.device = core::resolve_device(request.device);
  // Each local rank of a job takes its own GPU unless the user named one:
  // the one it sees when it sees one (a Slurm task given its GPU, or
  // CUDA_VISIBLE_DEVICES per rank), else GPU LOCAL_RANK.
  if (identity && execution.device.is_cuda() && request.device.find(':') == std::string::npos) {
    execution.device = torch::Device(torch::kCUDA, rank_gpu_index(*identity, static_cast<int>(torch::cuda::device_count())));
  }
  execution.amp = core::resolve_amp_mode(request.amp, execution.device);
  core::check_amp_supported(execution.amp, execution.device);
  execution.channels_last = request.channels_last.value_or(core::default_channels_last(execution.device, execution.amp));
  return execution;
}

c10::DeviceIndex rank_gpu_index(const dist::LaunchIdentity& identity, int visible_gpus) {
  if (visible_gpus == 1) return 0;
  if (identity.local_rank >= visible_gpus) {
    throw UsageError("local rank " + std::to_string(identity.local_rank) + " has no GPU of its own: this machine shows " +
                     std::to_string(visible_gpus) + " (start at most one rank per GPU, or give each rank one GPU "
                     "through CUDA_VISIBLE_DEVICES)");
  }
  return static_cast<c10::DeviceIndex>(identity.local_rank);
}

void place_model(torch::nn::Module& model, const Execution& execution) {
  model.to(execution.device);
  if (execution.channels_last) core::convert_to_channels_last(model);
}

}  // namespace trainbench::train
