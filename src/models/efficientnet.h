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
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>

#include "models/batch_norm.h"
#include "models/classifier.h"
#include "models/mobile_blocks.h"

namespace trainbench::models {

class EfficientNet : public Classifier {
 public:
  static constexpr const char* kArchitecture = "efficientnet_b0";

  explicit EfficientNet(int num_classes, const MobileNetOptions& options = {});
  torch::Tensor forward(torch::Tensor images) override;
  const std::string& architecture() const override { return architecture_; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "classifier"; }

 private:
  std::string architecture_ = kArchitecture;
  int num_classes_;
  MobileNetOptions options_;
  torch::nn::Conv2d conv_stem_{nullptr};  // "conv_stem" 3 -> 32, stride 2
  BatchNorm2d bn1_{nullptr};              // "bn1"
  MobileBlocks blocks_;                   // "blocks"
  torch::nn::Conv2d conv_head_{nullptr};  // "conv_head" 320 -> 1280
  BatchNorm2d bn2_{nullptr};              // "bn2"
  torch::nn::Linear classifier_{nullptr};  // "classifier"
};

}  // namespace trainbench::models
