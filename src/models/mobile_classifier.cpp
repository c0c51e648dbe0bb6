#include "models/mobile_classifier.h"

#include <torch/torch.h>

namespace trainbench::models {

MobileClassifier::MobileClassifier(const MobileNetConfig& config, int num_classes, const MobileNetOptions& options)
    : config_(config), options_(options), num_classes_(num_classes) {
  conv_stem_ = register_module("conv_stem", mobile_conv(3, config.stem_channels, 3, 2));
  bn1_ = register_module("bn1", mobile_batch_norm(config.stem_channels, options));
  blocks_ = build_mobile_blocks(*this, mobile_block_shapes(config), options);
}

void MobileClassifier::add_classifier(int features) {
  classifier_ = register_module("classifier", torch::nn::Linear(features, num_classes_));
  initialize_mobile_weights(*this);
}

torch::Tensor MobileClassifier::stem_and_blocks(const torch::Tensor& images) {
  return blocks_.forward(activate(bn1_(conv_stem_(images)), config_.activation));
}

torch::Tensor MobileClassifier::classify(const torch::Tensor& pooled) {
  return classifier_(torch::dropout(pooled, options_.drop_rate, is_training()));
}

}  // namespace trainbench::models
