#include "train/execution.h"

namespace trainbench::train {

void place_model(torch::nn::Module& model, const Execution& execution) {
  model.to(execution.device);
  if (execution.channels_last) core::convert_to_channels_last(model);
}

}  // namespace trainbench::train
