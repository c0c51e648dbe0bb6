#pragma once
// Models by name: the one place that maps `--model` to an architecture.
#include <memory>
#include <string>
#include <vector>

#include "models/classifier.h"

namespace trainbench::models {

// Every name `--model` accepts, in a stable order.
std::vector<std::string> model_names();

// A freshly initialised model with a num_classes-way head. Throws ModelError
// listing the known names for an unknown one.
std::shared_ptr<Classifier> create_model(const std::string& name, int num_classes);

}  // namespace trainbench::models
