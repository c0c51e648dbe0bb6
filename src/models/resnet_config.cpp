#include "models/resnet_config.h"

#include "core/error.h"

namespace trainbench::models {

const std::vector<ResNetConfig>& resnet_configs() {
  static const std::vector<ResNetConfig> configs = {
      {"resnet18", BlockKind::kBasic, {2, 2, 2, 2}, false, false},
      {"resnet34", BlockKind::kBasic, {3, 4, 6, 3}, false, false},
      {"resnet50", BlockKind::kBottleneck, {3, 4, 6, 3}, false, false},
      {"resnet18d", BlockKind::kBasic, {2, 2, 2, 2}, true, true},
      {"resnet34d", BlockKind::kBasic, {3, 4, 6, 3}, true, true},
      {"resnet50d", BlockKind::kBottleneck, {3, 4, 6, 3}, true, true},
  };
  return configs;
}

const ResNetConfig& find_resnet_config(const std::string& architecture) {
  std::string known;
  for (const ResNetConfig& config : resnet_configs()) {
    if (config.architecture == architecture) return config;
    known += (known.empty() ? "" : ", ") + config.architecture;
  }
  throw ModelError("unknown model '" + architecture + "'; available: " + known);
}

}  // namespace trainbench::models
