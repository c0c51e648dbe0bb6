#pragma once
// MobileNetV3-Large (Howard et al.) as timm builds mobilenetv3_large_100,
// with timm's parameter names so its safetensors load: a 3x3 stride-2 stem
// of 16 channels (conv_stem, bn1), fifteen depthwise-separable and inverted
// residual blocks and a 1x1 conv-bn-act to 960 channels in seven stages
// (blocks.S.B.*, see mobile_blocks.h), ReLU in the first three stages and
// hard-swish after, squeeze-excite (ReLU, hard-sigmoid gate) in some; then
// global average pooling, a 1x1 conv with a bias to 1280 channels
// (conv_head: no batch norm), hard-swish, dropout and a linear classifier.
// The hardware paths it leans on: depthwise convolutions, the piecewise
// linear hard-swish and hard-sigmoid, squeeze-excite's per-channel scaling.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>

#include "models/batch_norm.h"
#include "models/classifier.h"
#include "models/mobile_blocks.h"

namespace trainbench::models {

class MobileNetV3 : public Classifier {
 public:
  static constexpr const char* kArchitecture = "mobilenetv3_large_100";

  explicit MobileNetV3(int num_classes, const MobileNetOptions& options = {});
  torch::Tensor forward(torch::Tensor images) override;
  const std::string& architecture() const override { return architecture_; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "classifier"; }

 private:
  std::string architecture_ = kArchitecture;
  int num_classes_;
  MobileNetOptions options_;
  torch::nn::Conv2d conv_stem_{nullptr};   // "conv_stem" 3 -> 16, stride 2
  BatchNorm2d bn1_{nullptr};               // "bn1"
  MobileBlocks blocks_;                    // "blocks", ending at 960 channels
  torch::nn::Conv2d conv_head_{nullptr};   // "conv_head" 960 -> 1280 on the pooled features, with bias
  torch::nn::Linear classifier_{nullptr};  // "classifier"
};

}  // namespace trainbench::models
