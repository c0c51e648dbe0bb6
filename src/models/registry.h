#pragma once
// Models by name: the one place that maps `--model` to an architecture.
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"

namespace trainbench::models {

// What `trainbench models` says of a model beside its measured cost.
struct ModelInfo {
  std::string name;             // what --model takes (timm's name)
  std::string family;           // "ResNet", ...
  int native_image_size = 224;  // the size its published weights were trained at (timm's input_size)
  std::string exercises;        // the hardware path it leans on, in a few words
  bool represents_family = false;  // the family's model in `bench --profile` (one per family)
};

// Every model `--model` accepts, in a stable order.
const std::vector<ModelInfo>& model_catalog();

// Every name `--model` accepts, in model_catalog's order.
std::vector<std::string> model_names();

// A freshly initialised model with a num_classes-way head. Throws ModelError
// listing the known names for an unknown one.
std::shared_ptr<Classifier> create_model(const std::string& name, int num_classes);

}  // namespace trainbench::models
