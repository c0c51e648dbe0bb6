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
#include "models/mobile_classifier.h"

namespace trainbench::models {

class MobileNetV3 : public MobileClassifier {
 public:
  static constexpr const char* kArchitecture = "mobilenetv3_large_100";

  explicit MobileNetV3(int num_classes, const MobileNetOptions& options = {});
  torch::Tensor forward(torch::Tensor images) override;

 private:
  torch::nn::Conv2d conv_head_{nullptr};  // "conv_head" 960 -> 1280 on the pooled features, with a bias
};

}  // namespace trainbench::models
