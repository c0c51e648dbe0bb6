#include "models/convnext_config.h"

namespace trainbench::models {

const std::vector<ConvNeXtConfig>& convnext_configs() {
  static const std::vector<ConvNeXtConfig> configs = [] {
    ConvNeXtConfig tiny;
    tiny.architecture = "convnext_tiny";
    return std::vector<ConvNeXtConfig>{tiny};
  }();
  return configs;
}

const ConvNeXtConfig* find_convnext_config(const std::string& architecture) {
  for (const ConvNeXtConfig& config : convnext_configs()) {
    if (config.architecture == architecture) return &config;
  }
  return nullptr;
}

}  // namespace trainbench::models
