#pragma once
// The JSON sidecar written next to every weights file (FILE.safetensors ->
// FILE.json): what a program needs to use the weights without trainbench —
// the architecture to build, the class names in output order, and the input
// preprocessing (size, ResizePad, normalisation).
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace trainbench::weights {

struct ModelCard {
  std::string architecture;          // timm / torchvision model name: "resnet18d"
  std::vector<std::string> classes;  // logit i is classes[i]
  int image_size = 0;                // square input, after ResizePad
  std::array<float, 3> mean{};       // per RGB channel, on pixels scaled to [0, 1]
  std::array<float, 3> std{};
  std::string amp;                   // precision it was trained in
  std::string trainbench_version;
};

nlohmann::ordered_json to_json(const ModelCard& card);
// Throws ModelError naming the missing or malformed key.
ModelCard model_card_from_json(const nlohmann::json& json);

// FILE.safetensors -> FILE.json
std::filesystem::path model_card_path(const std::filesystem::path& weights_file);

// Atomic write; read throws ModelError naming the file.
void write_model_card(const std::filesystem::path& path, const ModelCard& card);
ModelCard read_model_card(const std::filesystem::path& path);

}  // namespace trainbench::weights
