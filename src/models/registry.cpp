#include "models/registry.h"

#include "core/error.h"
#include "models/resnet.h"
#include "models/resnet_config.h"

namespace trainbench::models {

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const ResNetConfig& config : resnet_configs()) names.push_back(config.architecture);
  return names;
}

std::shared_ptr<Classifier> create_model(const std::string& name, int num_classes) {
  if (num_classes < 2) throw ModelError("a classifier needs at least 2 classes, got " + std::to_string(num_classes));
  return std::make_shared<ResNet>(find_resnet_config(name), num_classes);
}

}  // namespace trainbench::models
