#pragma once
// What distinguishes a ConvNeXt, without LibTorch: the model (convnext.h) is
// built from it, and so is its ONNX graph (deploy/convnext_onnx.h).
#include <array>
#include <string>
#include <vector>

namespace trainbench::models {

// Where timm and torchvision differ, the default is timm's; the parity test
// sets torchvision's.
struct ConvNeXtConfig {
  std::string architecture;                   // "convnext_tiny"
  std::array<int, 4> depths = {3, 3, 9, 3};   // blocks per stage
  std::array<int, 4> dims = {96, 192, 384, 768};
  int kernel_size = 7;                        // depthwise convolution
  int mlp_ratio = 4;
  double layer_scale_init = 1e-6;             // timm's ls_init_value (torchvision's layer_scale: the same)
  double layer_norm_eps = 1e-6;               // timm's and torchvision's
  // Stochastic depth: the largest drop-path probability, reached by the
  // last block, rising linearly from 0 at the first (timm's
  // linspace(0, drop_path_rate, sum(depths)), torchvision's
  // stochastic_depth_prob * i / (blocks - 1): the same schedule). timm's
  // convnext_tiny defaults to 0; torchvision's constructor to 0.1.
  double drop_path_rate = 0.0;
  double head_init_scale = 1.0;               // timm's: scales head.fc at init
  int native_image_size = 224;
};

// convnext_tiny, in `--model` order.
const std::vector<ConvNeXtConfig>& convnext_configs();

// The config named `architecture`, or null.
const ConvNeXtConfig* find_convnext_config(const std::string& architecture);

}  // namespace trainbench::models
