#include "models/mobile_classifier.h"

#include <torch/torch.h>

#include <utility>

namespace trainbench::models {

MobileClassifier::MobileClassifier(std::string architecture, int num_classes, const MobileNetOptions& options,
                                   int stem_channels, Activation activation, const std::vector<StageSpec>& stages,
                                   const SqueezeExciteRule& se_rule)
    : options_(options), architecture_(std::move(architecture)), num_classes_(num_classes), activation_(activation) {
  conv_stem_ = register_module("conv_stem", mobile_conv(3, stem_channels, 3, 2));
  bn1_ = register_module("bn1", mobile_batch_norm(stem_channels, options));
  blocks_ = build_mobile_blocks(*this, stem_channels, stages, se_rule, options);
}

void MobileClassifier::add_classifier(int features) {
  classifier_ = register_module("classifier", torch::nn::Linear(features, num_classes_));
  initialize_mobile_weights(*this);
}

torch::Tensor MobileClassifier::stem_and_blocks(const torch::Tensor& images) {
  return blocks_.forward(activate(bn1_(conv_stem_(images)), activation_));
}

torch::Tensor MobileClassifier::classify(const torch::Tensor& pooled) {
  return classifier_(torch::dropout(pooled, options_.drop_rate, is_training()));
}

}  // namespace trainbench::models
