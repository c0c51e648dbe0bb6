#pragma once
// ConvNeXt (Liu et al., "A ConvNet for the 2020s") as timm builds
// convnext_tiny, with timm's parameter names so its safetensors load: a
// 4x4 stride-4 "patchify" stem and a LayerNorm, four stages of blocks (a
// LayerNorm and a 2x2 stride-2 convolution between stages), and a head that
// average-pools, normalises and classifies. Each block is a 7x7 depthwise
// convolution, then, on channels-last (NHWC) activations, a LayerNorm over
// the channels, a 4x-wide GELU MLP of two linear layers and a per-channel
// layer scale (gamma), added back to the block's input through stochastic
// depth (drop path).
//
// Under autocast the residual stream stays in the parameters' dtype (fp32),
// as in the ViT here: the convolutions and linear layers run in bf16/fp16
// and are cast back before each LayerNorm and residual add (1.13's CPU
// LayerNorm has no bf16-input, fp32-weight kernel, and autocast leaves it).
//
// The hardware paths it leans on are the ones neither a ResNet nor a ViT
// covers together: large-kernel depthwise convolutions (memory-bound, few
// FLOPs per byte), LayerNorm over the channels of an NHWC feature map, the
// permutes around it, GELU, and the layer-scale multiply. It downsamples 32x:
// any size from 32 px runs (as in timm); multiples of 32 keep every feature
// map whole.
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <array>
#include <string>
#include <vector>

#include "models/classifier.h"
#include "models/convnext_config.h"

namespace trainbench::models {

class ConvNeXt : public Classifier {
 public:
  ConvNeXt(const ConvNeXtConfig& config, int num_classes);
  // images: [n, 3, h, w] with h and w multiples of 32.
  torch::Tensor forward(torch::Tensor images) override;
  const std::string& architecture() const override { return config_.architecture; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "head.fc"; }

 private:
  void initialize_weights();

  ConvNeXtConfig config_;
  int num_classes_;
  torch::nn::Sequential stem_{nullptr};      // "stem": .0 conv 4x4/4, .1 LayerNorm2d
  torch::nn::ModuleList stages_{nullptr};    // "stages": .S.downsample (S > 0), .S.blocks.B
  torch::nn::LayerNorm head_norm_{nullptr};  // "head.norm" (timm's LayerNorm2d on the pooled [n, C, 1, 1])
  torch::nn::Linear head_fc_{nullptr};       // "head.fc"
};

}  // namespace trainbench::models
