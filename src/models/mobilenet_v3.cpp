#include "models/mobilenet_v3.h"

#include <torch/torch.h>

namespace trainbench::models {
namespace {

// timm's _gen_mobilenet_v3 arch_def for mobilenetv3_large_100 ("nre": ReLU).
const std::vector<StageSpec>& mobilenetv3_large_stages() {
  using K = MobileBlockKind;
  constexpr Activation kReLU = Activation::kReLU;
  constexpr Activation kHardSwish = Activation::kHardSwish;
  static const std::vector<StageSpec> stages = {
      {{K::kDepthwiseSeparable, 1, 3, 1, 1, 16, 0, kReLU}},  // ds_r1_k3_s1_e1_c16_nre
      {{K::kInvertedResidual, 1, 3, 2, 4, 24, 0, kReLU},     // ir_r1_k3_s2_e4_c24_nre
       {K::kInvertedResidual, 1, 3, 1, 3, 24, 0, kReLU}},    // ir_r1_k3_s1_e3_c24_nre
      {{K::kInvertedResidual, 3, 5, 2, 3, 40, 0.25, kReLU}},  // ir_r3_k5_s2_e3_c40_se0.25_nre
      {{K::kInvertedResidual, 1, 3, 2, 6, 80, 0, kHardSwish},    // ir_r1_k3_s2_e6_c80
       {K::kInvertedResidual, 1, 3, 1, 2.5, 80, 0, kHardSwish},  // ir_r1_k3_s1_e2.5_c80
       {K::kInvertedResidual, 2, 3, 1, 2.3, 80, 0, kHardSwish}},  // ir_r2_k3_s1_e2.3_c80
      {{K::kInvertedResidual, 2, 3, 1, 6, 112, 0.25, kHardSwish}},  // ir_r2_k3_s1_e6_c112_se0.25
      {{K::kInvertedResidual, 3, 5, 2, 6, 160, 0.25, kHardSwish}},  // ir_r3_k5_s2_e6_c160_se0.25
      {{K::kConvBnAct, 1, 1, 1, 1, 960, 0, kHardSwish}},            // cn_r1_k1_s1_c960
  };
  return stages;
}

constexpr int kMobileNetV3StemChannels = 16;
constexpr int kMobileNetV3HeadChannels = 1280;

}  // namespace

MobileNetV3::MobileNetV3(int num_classes, const MobileNetOptions& options)
    // Squeeze-excite from the expanded width (a multiple of 8), ReLU, hard-sigmoid gate.
    : MobileClassifier(kArchitecture, num_classes, options, kMobileNetV3StemChannels, Activation::kHardSwish,
                       mobilenetv3_large_stages(),
                       {/*from_expanded_width=*/true, Activation::kReLU, Activation::kHardSigmoid}) {
  conv_head_ = register_module("conv_head",
                               mobile_conv(block_channels(), kMobileNetV3HeadChannels, 1, 1, 1, /*bias=*/true));
  add_classifier(kMobileNetV3HeadChannels);
}

torch::Tensor MobileNetV3::forward(torch::Tensor images) {
  const torch::Tensor pooled = stem_and_blocks(images).mean({2, 3}, /*keepdim=*/true);
  return classify(torch::hardswish(conv_head_(pooled)).flatten(1));
}

}  // namespace trainbench::models
