#pragma once
// EfficientNet-B0 (Tan & Le) as timm builds efficientnet_b0, with timm's
// parameter names so its safetensors load: a 3x3 stride-2 stem (conv_stem,
// bn1), sixteen MBConv blocks in seven stages (blocks.S.B.*, see
// mobile_blocks.h) with squeeze-and-excitation at a quarter of each block's
// input width, a 1x1 conv to 1280 channels (conv_head, bn2), global average
// pooling, dropout and a linear classifier. SiLU throughout, sigmoid gates.
// The hardware paths it leans on are those a ResNet barely touches:
// depthwise convolutions (memory-bound, a few FLOPs per byte), the
// per-channel squeeze-excite rescaling, and SiLU's transcendental.
#include "models/mobile_classifier.h"

namespace trainbench::models {

class EfficientNet : public MobileClassifier {
 public:
  static constexpr const char* kArchitecture = "efficientnet_b0";

  explicit EfficientNet(int num_classes, const MobileNetOptions& options = {});
  torch::Tensor forward(torch::Tensor images) override;

 private:
  torch::nn::Conv2d conv_head_{nullptr};  // "conv_head" 320 -> 1280
  BatchNorm2d bn2_{nullptr};              // "bn2"
};

}  // namespace trainbench::models
