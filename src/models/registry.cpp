#include "models/registry.h"

#include "core/error.h"
#include "models/resnet.h"
#include "models/resnet_config.h"

namespace trainbench::models {

const std::vector<ModelInfo>& model_catalog() {
  static const std::vector<ModelInfo> catalog = [] {
    std::vector<ModelInfo> models;
    for (const ResNetConfig& config : resnet_configs()) {
      models.push_back({config.architecture, "ResNet", 224, "dense convolutions, batch norm"});
    }
    return models;
  }();
  return catalog;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const ModelInfo& info : model_catalog()) names.push_back(info.name);
  return names;
}

std::shared_ptr<Classifier> create_model(const std::string& name, int num_classes) {
  if (num_classes < 2) throw ModelError("a classifier needs at least 2 classes, got " + std::to_string(num_classes));
  return std::make_shared<ResNet>(find_resnet_config(name), num_classes);
}

}  // namespace trainbench::models
