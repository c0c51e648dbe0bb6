#include "models/registry.h"

#include "core/error.h"
#include "models/resnet.h"

namespace trainbench::models {
namespace {

// torchvision's resnet18/34/50 and timm's -d variants of them.
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

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const ResNetConfig& config : resnet_configs()) names.push_back(config.architecture);
  return names;
}

std::shared_ptr<Classifier> create_model(const std::string& name, int num_classes) {
  if (num_classes < 2) throw ModelError("a classifier needs at least 2 classes, got " + std::to_string(num_classes));
  for (const ResNetConfig& config : resnet_configs()) {
    if (config.architecture == name) return std::make_shared<ResNet>(config, num_classes);
  }
  std::string known;
  for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
  throw ModelError("unknown model '" + name + "'; available: " + known);
}

}  // namespace trainbench::models
