#include "train/execution.h"

#include "core/device.h"

namespace trainbench::train {

Execution resolve_execution(const ExecutionRequest& request, const std::optional<dist::LaunchIdentity>& identity) {
  Execution execution;
  execution.device = core::resolve_device(request.device);
  // Each local rank of a job takes its own GPU unless the user named one.
  if (identity && execution.device.is_cuda() && request.device.find(':') == std::string::npos) {
    execution.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(identity->local_rank));
  }
  execution.amp = core::resolve_amp_mode(request.amp, execution.device);
  core::check_amp_supported(execution.amp, execution.device);
  execution.channels_last = request.channels_last.value_or(core::default_channels_last(execution.device, execution.amp));
  return execution;
}

void place_model(torch::nn::Module& model, const Execution& execution) {
  model.to(execution.device);
  if (execution.channels_last) core::convert_to_channels_last(model);
}

}  // namespace trainbench::train
