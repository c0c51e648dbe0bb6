#include "weights/model_card.h"

#include <cmath>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace trainbench::weights {
namespace fs = std::filesystem;
namespace {

// 0.485f is 0.48500001430511475 as a double; a card is read by people too.
nlohmann::ordered_json rounded(const std::array<float, 3>& values) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (float v : values) out.push_back(std::round(static_cast<double>(v) * 1e6) / 1e6);
  return out;
}

}  // namespace

nlohmann::ordered_json to_json(const ModelCard& card) {
  return {{"architecture", card.architecture},
          {"num_classes", card.classes.size()},
          {"classes", card.classes},
          {"image_size", card.image_size},
          {"preprocessing", "resize_pad"},  // aspect-preserving bilinear resize, edge padding to a square
          {"mean", rounded(card.mean)},
          {"std", rounded(card.std)},
          {"amp", card.amp},
          {"names", "timm"},  // parameter names: timm's, which torchvision's resnet18/34/50 share
          {"trainbench_version", card.trainbench_version}};
}

ModelCard model_card_from_json(const nlohmann::json& json) {
  ModelCard card;
  try {
    card.architecture = json.at("architecture").get<std::string>();
    card.classes = json.at("classes").get<std::vector<std::string>>();
    card.image_size = json.at("image_size").get<int>();
    card.mean = json.at("mean").get<std::array<float, 3>>();
    card.std = json.at("std").get<std::array<float, 3>>();
    card.amp = json.value("amp", std::string("off"));
    card.trainbench_version = json.value("trainbench_version", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(std::string("model card is incomplete or malformed: ") + e.what());
  }
  return card;
}

fs::path model_card_path(const fs::path& weights_file) {
  fs::path card = weights_file;
  return card.replace_extension(".json");
}

void write_model_card(const fs::path& path, const ModelCard& card) {
  core::write_file_atomically(path, to_json(card).dump(2) + "\n");
}

ModelCard read_model_card(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ModelError("cannot read the model card " + path.string());
  try {
    return model_card_from_json(nlohmann::json::parse(in));
  } catch (const nlohmann::json::parse_error& e) {
    throw ModelError(path.string() + " is not valid JSON: " + e.what());
  } catch (const ModelError& e) {
    throw ModelError(path.string() + ": " + e.what());
  }
}

}  // namespace trainbench::weights
