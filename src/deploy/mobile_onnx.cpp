#include "deploy/mobile_onnx.h"

namespace trainbench::deploy {
namespace {

using models::Activation;
using models::MobileBlockKind;
using models::MobileBlockShape;

// The batch norm eps create_model builds these models with (timm's).
constexpr double kBatchNormEps = 1e-5;

std::string activate(GraphBuilder& g, const std::string& x, Activation activation) {
  switch (activation) {
    case Activation::kIdentity:
      return x;
    case Activation::kReLU:
      return g.relu(x);
    case Activation::kSiLU:
      return g.silu(x);
    case Activation::kHardSwish:
      return g.hard_swish(x);
    case Activation::kSigmoid:
      return g.sigmoid(x);
    case Activation::kHardSigmoid:
      return g.hard_sigmoid(x);
  }
  return x;
}

// timm's SqueezeExcite: the channels' means through a 1x1 bottleneck and a
// gate, scaling each channel of the input.
std::string squeeze_excite(GraphBuilder& g, const std::string& x, const MobileBlockShape& shape) {
  const std::string se = shape.name + ".se.";
  std::string s = g.global_average_pool(x, se + "pool");
  s = activate(g, g.conv(s, se + "conv_reduce", padded_conv(shape.mid, shape.se_channels, 1), true),
               shape.se_activation);
  s = activate(g, g.conv(s, se + "conv_expand", padded_conv(shape.se_channels, shape.mid, 1), true),
               shape.se_gate);
  return g.mul(x, s, se + "scale");
}

std::string block(GraphBuilder& g, const std::string& x, const MobileBlockShape& shape) {
  const std::string p = shape.name + ".";
  const auto conv_bn = [&](const std::string& input, const char* conv, const char* bn, const ConvShape& geometry) {
    return g.conv_bn(input, p + conv, p + bn, geometry, kBatchNormEps);
  };
  if (shape.kind == MobileBlockKind::kConvBnAct) {
    return activate(g, conv_bn(x, "conv", "bn1", padded_conv(shape.in, shape.out, shape.kernel, shape.stride)),
                    shape.activation);
  }
  std::string y;
  const char* projection_bn = "bn2";
  if (shape.kind == MobileBlockKind::kDepthwiseSeparable) {
    y = activate(g, conv_bn(x, "conv_dw", "bn1", padded_conv(shape.in, shape.in, shape.kernel, shape.stride, shape.in)),
                 shape.activation);
  } else {
    y = activate(g, conv_bn(x, "conv_pw", "bn1", padded_conv(shape.in, shape.mid, 1)), shape.activation);
    y = activate(g,
                 conv_bn(y, "conv_dw", "bn2", padded_conv(shape.mid, shape.mid, shape.kernel, shape.stride, shape.mid)),
                 shape.activation);
    projection_bn = "bn3";
  }
  if (shape.se_channels > 0) y = squeeze_excite(g, y, shape);
  const char* projection = shape.kind == MobileBlockKind::kDepthwiseSeparable ? "conv_pw" : "conv_pwl";
  y = conv_bn(y, projection, projection_bn, padded_conv(shape.mid, shape.out, 1));
  return shape.skip ? g.add(y, x, p + "residual") : y;
}

}  // namespace

OnnxModel mobile_net_to_onnx(const models::MobileNetConfig& config, const HostWeights& weights,
                             const ModelInterface& interface, const OnnxExportOptions& options,
                             const std::string& producer_version) {
  const auto body = [&](GraphBuilder& g, const std::string& input) {
    const ConvShape stem = padded_conv(3, config.stem_channels, 3, 2);
    std::string x = activate(g, g.conv_bn(input, "conv_stem", "bn1", stem, kBatchNormEps), config.activation);
    for (const MobileBlockShape& shape : models::mobile_block_shapes(config)) x = block(g, x, shape);
    const int width = models::mobile_blocks_out_channels(config);
    if (config.head == models::MobileHead::kConvThenPool) {
      x = activate(g, g.conv_bn(x, "conv_head", "bn2", padded_conv(width, config.head_channels, 1), kBatchNormEps),
                   config.activation);
      x = g.global_average_pool(x, "global_pool");
    } else {
      x = g.global_average_pool(x, "global_pool");
      x = activate(g, g.conv(x, "conv_head", padded_conv(width, config.head_channels, 1), true), config.activation);
    }
    x = g.node("Flatten", "flatten", {x}, {int_attribute("axis", 1)});
    return g.gemm(x, "classifier", config.head_channels, interface.num_classes);
  };
  return lower_classifier(config.architecture, weights, interface, options, producer_version, body);
}

}  // namespace trainbench::deploy
