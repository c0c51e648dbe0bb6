#include "models/efficientnet.h"

#include <torch/torch.h>

namespace trainbench::models {
namespace {

// timm's _gen_efficientnet arch_def at width and depth multipliers 1.0.
const std::vector<StageSpec>& efficientnet_b0_stages() {
  using K = MobileBlockKind;
  constexpr Activation kSiLU = Activation::kSiLU;
  static const std::vector<StageSpec> stages = {
      {{K::kDepthwiseSeparable, 1, 3, 1, 1, 16, 0.25, kSiLU}},  // ds_r1_k3_s1_e1_c16_se0.25
      {{K::kInvertedResidual, 2, 3, 2, 6, 24, 0.25, kSiLU}},    // ir_r2_k3_s2_e6_c24_se0.25
      {{K::kInvertedResidual, 2, 5, 2, 6, 40, 0.25, kSiLU}},    // ir_r2_k5_s2_e6_c40_se0.25
      {{K::kInvertedResidual, 3, 3, 2, 6, 80, 0.25, kSiLU}},    // ir_r3_k3_s2_e6_c80_se0.25
      {{K::kInvertedResidual, 3, 5, 1, 6, 112, 0.25, kSiLU}},   // ir_r3_k5_s1_e6_c112_se0.25
      {{K::kInvertedResidual, 4, 5, 2, 6, 192, 0.25, kSiLU}},   // ir_r4_k5_s2_e6_c192_se0.25
      {{K::kInvertedResidual, 1, 3, 1, 6, 320, 0.25, kSiLU}},   // ir_r1_k3_s1_e6_c320_se0.25
  };
  return stages;
}

constexpr int kEfficientNetStemChannels = 32;
constexpr int kEfficientNetHeadChannels = 1280;

}  // namespace

EfficientNet::EfficientNet(int num_classes, const MobileNetOptions& options)
    // Squeeze-excite from the block's input width, with the block's SiLU and a sigmoid gate.
    : MobileClassifier(kArchitecture, num_classes, options, kEfficientNetStemChannels, Activation::kSiLU,
                       efficientnet_b0_stages(),
                       {/*from_expanded_width=*/false, Activation::kIdentity, Activation::kSigmoid}) {
  conv_head_ = register_module("conv_head", mobile_conv(block_channels(), kEfficientNetHeadChannels, 1));
  bn2_ = register_module("bn2", mobile_batch_norm(kEfficientNetHeadChannels, options));
  add_classifier(kEfficientNetHeadChannels);
}

torch::Tensor EfficientNet::forward(torch::Tensor images) {
  const torch::Tensor x = torch::silu(bn2_(conv_head_(stem_and_blocks(images))));
  return classify(x.mean({2, 3}));
}

}  // namespace trainbench::models
