#include "models/mobilenet_v3.h"

#include <torch/torch.h>

namespace trainbench::models {

MobileNetV3::MobileNetV3(int num_classes, const MobileNetOptions& options)
    : MobileClassifier(*find_mobile_net_config(kArchitecture), num_classes, options) {
  conv_head_ = register_module("conv_head",
                               mobile_conv(block_channels(), config_.head_channels, 1, 1, 1, /*bias=*/true));
  add_classifier(config_.head_channels);
}

torch::Tensor MobileNetV3::forward(torch::Tensor images) {
  const torch::Tensor pooled = stem_and_blocks(images).mean({2, 3}, /*keepdim=*/true);
  return classify(activate(conv_head_(pooled), config_.activation).flatten(1));
}

}  // namespace trainbench::models
