#include "models/registry.h"

#include "core/error.h"
#include "models/convnext.h"
#include "models/efficientnet.h"
#include "models/mobilenet_v3.h"
#include "models/resnet.h"
#include "models/resnet_config.h"
#include "models/vision_transformer.h"

namespace trainbench::models {

const std::vector<ModelInfo>& model_catalog() {
  static const std::vector<ModelInfo> catalog = [] {
    std::vector<ModelInfo> models;
    for (const ResNetConfig& config : resnet_configs()) {
      models.push_back({config.architecture, "ResNet", 224, "dense convolutions, batch norm",
                        config.architecture == "resnet50"});
    }
    for (const VisionTransformerConfig& config : vision_transformer_configs()) {
      models.push_back({config.architecture, "ViT", config.native_image_size,
                        "matrix products, attention softmax, LayerNorm, GELU",
                        config.architecture == "vit_small_patch16_224"});
    }
    models.push_back({EfficientNet::kArchitecture, "EfficientNet", 224,
                      "depthwise convolutions, squeeze-and-excitation, SiLU", /*represents_family=*/true});
    models.push_back({MobileNetV3::kArchitecture, "MobileNetV3", 224,
                      "depthwise convolutions, hard-swish, squeeze-and-excitation", /*represents_family=*/true});
    for (const ConvNeXtConfig& config : convnext_configs()) {
      models.push_back({config.architecture, "ConvNeXt", config.native_image_size,
                        "7x7 depthwise convolutions, LayerNorm on channels-last, GELU",
                        config.architecture == "convnext_tiny"});
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
  for (const VisionTransformerConfig& config : vision_transformer_configs()) {
    if (config.architecture == name) return std::make_shared<VisionTransformer>(config, num_classes);
  }
  for (const ResNetConfig& config : resnet_configs()) {
    if (config.architecture == name) return std::make_shared<ResNet>(config, num_classes);
  }
  if (name == EfficientNet::kArchitecture) return std::make_shared<EfficientNet>(num_classes);
  if (name == MobileNetV3::kArchitecture) return std::make_shared<MobileNetV3>(num_classes);
  for (const ConvNeXtConfig& config : convnext_configs()) {
    if (config.architecture == name) return std::make_shared<ConvNeXt>(config, num_classes);
  }
  std::string known;
  for (const std::string& model : model_names()) known += (known.empty() ? "" : ", ") + model;
  throw ModelError("unknown model '" + name + "'; available: " + known);
}

}  // namespace trainbench::models
