#include "models/mobile_net_config.h"

#include <algorithm>
#include <cmath>

namespace trainbench::models {
namespace {

using K = MobileBlockKind;
constexpr Activation kReLU = Activation::kReLU;
constexpr Activation kSiLU = Activation::kSiLU;
constexpr Activation kHardSwish = Activation::kHardSwish;

// timm's _gen_efficientnet arch_def at width and depth multipliers 1.0.
MobileNetConfig efficientnet_b0() {
  return {"efficientnet_b0",
          32,
          kSiLU,
          {
              {{K::kDepthwiseSeparable, 1, 3, 1, 1, 16, 0.25, kSiLU}},  // ds_r1_k3_s1_e1_c16_se0.25
              {{K::kInvertedResidual, 2, 3, 2, 6, 24, 0.25, kSiLU}},    // ir_r2_k3_s2_e6_c24_se0.25
              {{K::kInvertedResidual, 2, 5, 2, 6, 40, 0.25, kSiLU}},    // ir_r2_k5_s2_e6_c40_se0.25
              {{K::kInvertedResidual, 3, 3, 2, 6, 80, 0.25, kSiLU}},    // ir_r3_k3_s2_e6_c80_se0.25
              {{K::kInvertedResidual, 3, 5, 1, 6, 112, 0.25, kSiLU}},   // ir_r3_k5_s1_e6_c112_se0.25
              {{K::kInvertedResidual, 4, 5, 2, 6, 192, 0.25, kSiLU}},   // ir_r4_k5_s2_e6_c192_se0.25
              {{K::kInvertedResidual, 1, 3, 1, 6, 320, 0.25, kSiLU}},   // ir_r1_k3_s1_e6_c320_se0.25
          },
          // Squeeze-excite from the block's input width, with the block's SiLU and a sigmoid gate.
          {/*from_expanded_width=*/false, Activation::kIdentity, Activation::kSigmoid},
          1280,
          MobileHead::kConvThenPool};
}

// timm's _gen_mobilenet_v3 arch_def for mobilenetv3_large_100 ("nre": ReLU).
MobileNetConfig mobilenetv3_large_100() {
  return {"mobilenetv3_large_100",
          16,
          kHardSwish,
          {
              {{K::kDepthwiseSeparable, 1, 3, 1, 1, 16, 0, kReLU}},        // ds_r1_k3_s1_e1_c16_nre
              {{K::kInvertedResidual, 1, 3, 2, 4, 24, 0, kReLU},           // ir_r1_k3_s2_e4_c24_nre
               {K::kInvertedResidual, 1, 3, 1, 3, 24, 0, kReLU}},          // ir_r1_k3_s1_e3_c24_nre
              {{K::kInvertedResidual, 3, 5, 2, 3, 40, 0.25, kReLU}},       // ir_r3_k5_s2_e3_c40_se0.25_nre
              {{K::kInvertedResidual, 1, 3, 2, 6, 80, 0, kHardSwish},      // ir_r1_k3_s2_e6_c80
               {K::kInvertedResidual, 1, 3, 1, 2.5, 80, 0, kHardSwish},    // ir_r1_k3_s1_e2.5_c80
               {K::kInvertedResidual, 2, 3, 1, 2.3, 80, 0, kHardSwish}},   // ir_r2_k3_s1_e2.3_c80
              {{K::kInvertedResidual, 2, 3, 1, 6, 112, 0.25, kHardSwish}},  // ir_r2_k3_s1_e6_c112_se0.25
              {{K::kInvertedResidual, 3, 5, 2, 6, 160, 0.25, kHardSwish}},  // ir_r3_k5_s2_e6_c160_se0.25
              {{K::kConvBnAct, 1, 1, 1, 1, 960, 0, kHardSwish}},            // cn_r1_k1_s1_c960
          },
          // Squeeze-excite from the expanded width (a multiple of 8), ReLU, hard-sigmoid gate.
          {/*from_expanded_width=*/true, Activation::kReLU, Activation::kHardSigmoid},
          1280,
          MobileHead::kPoolThenConv};
}

// timm's squeeze-excite width for a block of `width` channels at its depthwise conv.
int squeeze_excite_channels(const BlockSpec& spec, const SqueezeExciteRule& rule, int width) {
  if (spec.se_ratio <= 0 || spec.kind == MobileBlockKind::kConvBnAct) return 0;
  if (rule.from_expanded_width) return make_divisible(width * spec.se_ratio);
  // A ratio of the block's input width; Python's round (half to even), as
  // nearbyint rounds by default.
  const double expansion = spec.kind == MobileBlockKind::kInvertedResidual ? spec.expansion : 1.0;
  return static_cast<int>(std::nearbyint(width * spec.se_ratio / expansion));
}

}  // namespace

const std::vector<MobileNetConfig>& mobile_net_configs() {
  static const std::vector<MobileNetConfig> configs = {efficientnet_b0(), mobilenetv3_large_100()};
  return configs;
}

const MobileNetConfig* find_mobile_net_config(const std::string& architecture) {
  for (const MobileNetConfig& config : mobile_net_configs()) {
    if (config.architecture == architecture) return &config;
  }
  return nullptr;
}

int make_divisible(double value, int divisor) {
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

std::vector<MobileBlockShape> mobile_block_shapes(const MobileNetConfig& config) {
  int total = 0;
  for (const StageSpec& stage : config.stages) {
    for (const BlockSpec& spec : stage) total += spec.repeats;
  }
  std::vector<MobileBlockShape> shapes;
  int in = config.stem_channels;
  int index = 0;  // timm's block_idx, over the whole model
  for (std::size_t s = 0; s < config.stages.size(); ++s) {
    int in_stage = 0;
    for (const BlockSpec& spec : config.stages[s]) {
      for (int i = 0; i < spec.repeats; ++i, ++index, ++in_stage) {
        MobileBlockShape shape;
        shape.name = "blocks." + std::to_string(s) + "." + std::to_string(in_stage);
        shape.kind = spec.kind;
        shape.in = in;
        shape.out = spec.channels;
        shape.mid = spec.kind == MobileBlockKind::kInvertedResidual ? make_divisible(in * spec.expansion) : in;
        shape.kernel = spec.kernel;
        shape.stride = i == 0 ? spec.stride : 1;
        shape.activation = spec.activation;
        shape.se_channels = squeeze_excite_channels(spec, config.se_rule, shape.mid);
        shape.se_activation =
            config.se_rule.activation == Activation::kIdentity ? spec.activation : config.se_rule.activation;
        shape.se_gate = config.se_rule.gate;
        shape.skip = spec.kind != MobileBlockKind::kConvBnAct && shape.stride == 1 && shape.in == shape.out;
        shape.depth_fraction = static_cast<double>(index) / total;
        shapes.push_back(shape);
        in = spec.channels;
      }
    }
  }
  return shapes;
}

int mobile_blocks_out_channels(const MobileNetConfig& config) { return config.stages.back().back().channels; }

}  // namespace trainbench::models
