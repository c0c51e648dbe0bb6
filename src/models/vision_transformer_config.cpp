#include "models/vision_transformer_config.h"

namespace trainbench::models {

const std::vector<VisionTransformerConfig>& vision_transformer_configs() {
  static const std::vector<VisionTransformerConfig> configs = {
      {"vit_small_patch16_224", 384, 12, 6, 1536, 16, 224},
      {"vit_base_patch16_224", 768, 12, 12, 3072, 16, 224},
  };
  return configs;
}

const VisionTransformerConfig* find_vision_transformer_config(const std::string& architecture) {
  for (const VisionTransformerConfig& config : vision_transformer_configs()) {
    if (config.architecture == architecture) return &config;
  }
  return nullptr;
}

}  // namespace trainbench::models
