#pragma once
// The ResNet family in torchvision's layout (resnet18/34/50) and timm's "-d"
// variants (deep 3-conv stem, average-pool shortcut downsampling). Module and
// parameter names follow timm/torchvision: conv1.weight, bn1.*,
// layer1.0.conv1.weight, layer2.0.downsample.0.weight, fc.weight; the deep
// stem is conv1.0/.1/.3/.4/.6 and avg-down shortcuts downsample.1/.2.
#include <array>
#include <string>

#include <torch/nn.h>

#include "models/batch_norm.h"
#include "models/classifier.h"
#include "models/resnet_config.h"

namespace trainbench::models {

class ResNet : public Classifier {
 public:
  ResNet(const ResNetConfig& config, int num_classes);
  torch::Tensor forward(torch::Tensor images) override;
  const std::string& architecture() const override { return config_.architecture; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "fc"; }

 private:
  void initialize_weights();

  ResNetConfig config_;
  int num_classes_;
  torch::nn::Conv2d conv1_{nullptr};      // plain stem
  torch::nn::Sequential deep_stem_{nullptr};  // deep stem, registered as "conv1"
  BatchNorm2d bn1_{nullptr};
  std::array<torch::nn::Sequential, 4> stages_ = {nullptr, nullptr, nullptr, nullptr};  // layer1..layer4
  torch::nn::Linear fc_{nullptr};
};

}  // namespace trainbench::models
