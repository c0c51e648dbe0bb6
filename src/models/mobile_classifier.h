#pragma once
// What EfficientNet and MobileNetV3 share around their heads, as timm's
// EfficientNet and MobileNetV3 classes build it: a 3x3 stride-2 stem
// (conv_stem, bn1 and the model's activation), the blocks (mobile_blocks.h),
// and at the end dropout and a linear "classifier" on pooled features. The
// 1x1 conv head between them (conv_head) is each family's own.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

#include "models/batch_norm.h"
#include "models/classifier.h"
#include "models/mobile_blocks.h"

namespace trainbench::models {

class MobileClassifier : public Classifier {
 public:
  const std::string& architecture() const override { return config_.architecture; }
  int num_classes() const override { return num_classes_; }
  std::string head_name() const override { return "classifier"; }

 protected:
  // Registers conv_stem, bn1 and blocks.
  MobileClassifier(const MobileNetConfig& config, int num_classes, const MobileNetOptions& options);
  // Registers the classifier on `features` channels, after the family's
  // head (timm's order), and initialises every weight as timm does.
  void add_classifier(int features);
  // The stem and the blocks.
  torch::Tensor stem_and_blocks(const torch::Tensor& images);
  // Dropout (in training) and the classifier, on [n, features] pooled features.
  torch::Tensor classify(const torch::Tensor& pooled);
  int block_channels() const { return blocks_.out_channels; }
  const MobileNetConfig& config_;  // one of mobile_net_configs(), which live as long as the program
  const MobileNetOptions options_;

 private:
  int num_classes_;
  torch::nn::Conv2d conv_stem_{nullptr};   // "conv_stem"
  BatchNorm2d bn1_{nullptr};               // "bn1"
  MobileBlocks blocks_;                    // "blocks"
  torch::nn::Linear classifier_{nullptr};  // "classifier"
};

}  // namespace trainbench::models
