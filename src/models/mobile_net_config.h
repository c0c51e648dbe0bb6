#pragma once
// What distinguishes EfficientNet-B0 and MobileNetV3-Large, without
// LibTorch: their stages as timm's arch_def strings say them, and every
// block's shape worked out from them as timm's builder does. The models
// (mobile_blocks.h, efficientnet.h, mobilenet_v3.h) are built from these
// shapes, and so are their ONNX graphs (deploy/mobile_onnx.h).
#include <string>
#include <vector>

namespace trainbench::models {

enum class Activation { kIdentity, kReLU, kSiLU, kHardSwish, kSigmoid, kHardSigmoid };

// Some blocks of one kind, as a timm arch_def string says them
// ("ir_r2_k3_s2_e6_c24_se0.25": kind, repeats, kernel, stride of the first
// block, expansion, output channels, squeeze-excite ratio); a stage is a
// list of them (MobileNetV3's stages mix expansions).
//   cn  ConvBnAct: conv, bn1
//   ds  DepthwiseSeparableConv: conv_dw, bn1, [se], conv_pw, bn2
//   ir  InvertedResidual (MBConv): conv_pw, bn1, conv_dw, bn2, [se], conv_pwl, bn3
enum class MobileBlockKind { kConvBnAct, kDepthwiseSeparable, kInvertedResidual };
struct BlockSpec {
  MobileBlockKind kind;
  int repeats;
  int kernel;
  int stride;
  double expansion;
  int channels;
  double se_ratio;  // 0: no squeeze-excite
  Activation activation;
};
using StageSpec = std::vector<BlockSpec>;

// How a family sizes and gates its squeeze-excite.
struct SqueezeExciteRule {
  // EfficientNet takes se_ratio of the block's input width (rounded to
  // nearest); MobileNetV3 of its expanded width, made divisible by 8.
  bool from_expanded_width;
  // EfficientNet's squeeze-excite uses its block's activation (kIdentity
  // here); MobileNetV3's is always ReLU.
  Activation activation;
  Activation gate;  // sigmoid (EfficientNet), hard sigmoid (MobileNetV3)
};

// Where the 1x1 conv to the head's width sits.
enum class MobileHead {
  kConvThenPool,  // EfficientNet: conv_head, bn2, activation, then pooling
  kPoolThenConv,  // MobileNetV3: pooling, then conv_head with a bias (no norm), activation
};

struct MobileNetConfig {
  std::string architecture;
  int stem_channels;      // conv_stem: 3x3 stride 2
  Activation activation;  // the stem's and the head's
  std::vector<StageSpec> stages;
  SqueezeExciteRule se_rule;
  int head_channels;
  MobileHead head;
  int native_image_size = 224;
};

// efficientnet_b0 and mobilenetv3_large_100, in `--model` order.
const std::vector<MobileNetConfig>& mobile_net_configs();
// The config named `architecture`, or null.
const MobileNetConfig* find_mobile_net_config(const std::string& architecture);

// timm's make_divisible: `value` rounded to the nearest multiple of
// `divisor`, never below divisor nor more than 10% below value.
int make_divisible(double value, int divisor = 8);

// One block as built: its name ("blocks.S.B"), widths and gates.
struct MobileBlockShape {
  std::string name;
  MobileBlockKind kind;
  int in, mid, out;  // mid: the depthwise conv's width (the expanded one in an ir block)
  int kernel, stride;
  Activation activation;
  int se_channels;  // 0: no squeeze-excite
  Activation se_activation, se_gate;
  bool skip;             // the input is added back (stride 1, same width)
  double depth_fraction;  // timm's block_idx / block count: the share of the drop-path rate it gets
};

// Every block of the config, in order.
std::vector<MobileBlockShape> mobile_block_shapes(const MobileNetConfig& config);

// The channels the last block gives.
int mobile_blocks_out_channels(const MobileNetConfig& config);

}  // namespace trainbench::models
