#pragma once
// A classifier's weights on disk: safetensors with timm's parameter names plus
// the JSON model card beside it, so that timm.create_model(name,
// num_classes=N) or torchvision's resnet load_state_dict takes them unchanged;
// and `--pretrained`: starting from timm or torchvision weights.
#include <filesystem>
#include <string>

#include "models/classifier.h"
#include "weights/model_card.h"
#include "weights/state_dict.h"

namespace trainbench::train {

// Writes FILE (.safetensors, fp32, contiguous) and its card FILE.json, each atomically.
void save_model_weights(models::Classifier& model, const weights::ModelCard& card, const std::filesystem::path& file);

// Loads weights this program (or an export) wrote into a model of the same
// architecture and class count: every tensor must match, else ModelError
// listing the names.
void load_model_weights(models::Classifier& model, const std::filesystem::path& file);

struct PretrainedLoad {
  weights::LoadReport report;
  std::string summary;  // one line for the user: what was loaded and re-initialised
};

// `train --pretrained FILE`. Names may carry a "module." or "model." prefix
// (DataParallel, Lightning); timm's and torchvision's ResNet names are the
// same as ours. A head whose class count differs is re-initialised and
// reported. Any other missing, unexpected or mis-shaped tensor is a
// ModelError listing the names when `strict`, else listed in the summary.
PretrainedLoad load_pretrained(models::Classifier& model, const std::filesystem::path& file, bool strict);

}  // namespace trainbench::train
