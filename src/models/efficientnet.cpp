#include "models/efficientnet.h"

#include <torch/torch.h>

namespace trainbench::models {

EfficientNet::EfficientNet(int num_classes, const MobileNetOptions& options)
    : MobileClassifier(*find_mobile_net_config(kArchitecture), num_classes, options) {
  conv_head_ = register_module("conv_head", mobile_conv(block_channels(), config_.head_channels, 1));
  bn2_ = register_module("bn2", mobile_batch_norm(config_.head_channels, options));
  add_classifier(config_.head_channels);
}

torch::Tensor EfficientNet::forward(torch::Tensor images) {
  const torch::Tensor x = activate(bn2_(conv_head_(stem_and_blocks(images))), config_.activation);
  return classify(x.mean({2, 3}));
}

}  // namespace trainbench::models
