#pragma once
// What distinguishes the Vision Transformers, without LibTorch: the model
// (vision_transformer.h) is built from it, and so is its ONNX graph (deploy/).
#include <string>
#include <vector>

namespace trainbench::models {

struct VisionTransformerConfig {
  std::string architecture;  // "vit_small_patch16_224", ...
  int dim = 384;             // embedding width
  int depth = 12;            // blocks
  int heads = 6;
  int mlp_dim = 1536;        // 4 x dim
  int patch = 16;
  int native_image_size = 224;
};

// LayerNorm's eps in timm's ViTs and torchvision's.
constexpr double kVisionTransformerLayerNormEps = 1e-6;

// vit_small_patch16_224 and vit_base_patch16_224, in `--model` order.
const std::vector<VisionTransformerConfig>& vision_transformer_configs();

// The config named `architecture`, or null.
const VisionTransformerConfig* find_vision_transformer_config(const std::string& architecture);

}  // namespace trainbench::models
