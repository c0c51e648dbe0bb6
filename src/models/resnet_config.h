#pragma once
// What distinguishes the members of the ResNet family, without LibTorch: the
// model (resnet.h) is built from it, and so is its ONNX graph (deploy/).
#include <array>
#include <string>
#include <vector>

namespace trainbench::models {

enum class BlockKind { kBasic, kBottleneck };

struct ResNetConfig {
  std::string architecture;            // "resnet18d", ...
  BlockKind block = BlockKind::kBasic;
  std::array<int, 4> blocks_per_stage = {2, 2, 2, 2};
  bool deep_stem = false;  // timm stem_type="deep", stem_width=32
  bool avg_down = false;   // shortcut: AvgPool2d(2) then 1x1 conv, instead of a strided 1x1 conv
};

// torchvision's resnet18/34/50 and timm's -d variants of them, in `--model` order.
const std::vector<ResNetConfig>& resnet_configs();

// The config named `architecture`; throws ModelError listing the known names.
const ResNetConfig& find_resnet_config(const std::string& architecture);

}  // namespace trainbench::models
