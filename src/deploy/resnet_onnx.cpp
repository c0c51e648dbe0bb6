#include "deploy/resnet_onnx.h"

namespace trainbench::deploy {
namespace {

constexpr int kStemWidth = 32;  // the deep stem's first two convs (timm's stem_width)
constexpr int kStemOut = 64;

// One residual block of models/resnet.cpp (BasicBlockImpl or BottleneckImpl)
// with its shortcut; returns the block's output and sets *width to its channels.
std::string residual_block(GraphBuilder& g, const models::ResNetConfig& config, const std::string& x,
                           const std::string& prefix, int* width, int planes, int stride, bool first_in_stage) {
  const bool basic = config.block == models::BlockKind::kBasic;
  const int out = basic ? planes : planes * 4;
  std::string y;
  if (basic) {
    y = g.relu(g.conv_bn(x, prefix + "conv1", prefix + "bn1", padded_conv(*width, planes, 3, stride)));
    y = g.conv_bn(y, prefix + "conv2", prefix + "bn2", padded_conv(planes, planes, 3, 1));
  } else {
    y = g.relu(g.conv_bn(x, prefix + "conv1", prefix + "bn1", padded_conv(*width, planes, 1, 1)));
    // v1.5: the stride on the 3x3
    y = g.relu(g.conv_bn(y, prefix + "conv2", prefix + "bn2", padded_conv(planes, planes, 3, stride)));
    y = g.conv_bn(y, prefix + "conv3", prefix + "bn3", padded_conv(planes, out, 1, 1));
  }
  std::string shortcut = x;
  if (first_in_stage && (stride != 1 || *width != out)) {
    const std::string down = prefix + "downsample.";
    if (config.avg_down) {
      // downsample.0 is AvgPool2d(2, ceil_mode, count_include_pad=false), or
      // an Identity at stride 1, which gets no node.
      if (stride != 1) {
        shortcut = g.node("AveragePool", down + "0", {x},
                          {ints_attribute("kernel_shape", {2, 2}), ints_attribute("strides", {stride, stride}),
                           ints_attribute("pads", {0, 0, 0, 0}), int_attribute("ceil_mode", 1),
                           int_attribute("count_include_pad", 0)});
      }
      shortcut = g.conv_bn(shortcut, down + "1", down + "2", padded_conv(*width, out, 1, 1));
    } else {
      shortcut = g.conv_bn(x, down + "0", down + "1", padded_conv(*width, out, 1, stride));
    }
  }
  *width = out;
  return g.relu(g.add(y, shortcut, prefix + "add"));
}

}  // namespace

OnnxModel resnet_to_onnx(const models::ResNetConfig& config, const HostWeights& weights, const ModelInterface& interface,
                         const OnnxExportOptions& options, const std::string& producer_version) {
  const auto body = [&](GraphBuilder& g, std::string x) {
    if (config.deep_stem) {
      x = g.relu(g.conv_bn(x, "conv1.0", "conv1.1", padded_conv(3, kStemWidth, 3, 2)));
      x = g.relu(g.conv_bn(x, "conv1.3", "conv1.4", padded_conv(kStemWidth, kStemWidth, 3, 1)));
      x = g.relu(g.conv_bn(x, "conv1.6", "bn1", padded_conv(kStemWidth, kStemOut, 3, 1)));
    } else {
      x = g.relu(g.conv_bn(x, "conv1", "bn1", padded_conv(3, kStemOut, 7, 2)));
    }
    x = g.node("MaxPool", "maxpool", {x},
               {ints_attribute("kernel_shape", {3, 3}), ints_attribute("strides", {2, 2}),
                ints_attribute("pads", {1, 1, 1, 1})});
    int width = kStemOut;
    for (int stage = 0; stage < 4; ++stage) {
      const int planes = 64 << stage;
      const int stride = stage == 0 ? 1 : 2;
      for (int block = 0; block < config.blocks_per_stage[stage]; ++block) {
        const std::string prefix = "layer" + std::to_string(stage + 1) + "." + std::to_string(block) + ".";
        x = residual_block(g, config, x, prefix, &width, planes, block == 0 ? stride : 1, block == 0);
      }
    }
    x = g.global_average_pool(x, "global_pool");
    x = g.node("Flatten", "flatten", {x}, {int_attribute("axis", 1)});
    return g.gemm(x, "fc", width, interface.num_classes);
  };
  return lower_classifier(config.architecture, weights, interface, options, producer_version, body);
}

}  // namespace trainbench::deploy
