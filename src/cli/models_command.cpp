// `trainbench models`: what `--model` accepts, with what each costs: its
// parameters, its forward FLOPs per image (counted from the model's own
// layers, bench/flop_count.h) and the image size its published weights were
// trained at.
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "bench/flop_count.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "core/text.h"
#include "models/registry.h"

namespace trainbench::cli {
namespace {

struct ModelsOptions {
  int image_size = 0;  // 0: each model's native size
  int classes = 1000;  // the published models' head, so counts match timm's and torchvision's tables
  bool json = false;
};

int run_models(const ModelsOptions& options) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const models::ModelInfo& info : models::model_catalog()) {
    const int size = options.image_size > 0 ? options.image_size : info.native_image_size;
    // One model serves both counts (a ViT-B is 86M parameters to initialise).
    const std::shared_ptr<models::Classifier> model = models::create_model(info.name, options.classes);
    std::int64_t parameters = 0;
    for (const torch::Tensor& parameter : model->parameters()) parameters += parameter.numel();
    rows.push_back({{"model", info.name},
                    {"family", info.family},
                    {"parameters", parameters},
                    {"image_size", size},
                    {"forward_flops_per_image", bench::count_forward_flops(*model, size).forward_flops},
                    {"native_image_size", info.native_image_size},
                    {"exercises", info.exercises}});
  }
  if (options.json) {
    std::printf("%s\n", rows.dump(2).c_str());
    return 0;
  }
  std::printf("%-22s %-7s %11s %7s %13s %7s  %s\n", "model", "family", "parameters", "size", "GFLOPs/image", "native",
              "exercises");
  for (const auto& row : rows) {
    std::printf("%-22s %-7s %10.2fM %5dpx %13.2f %5dpx  %s\n", row["model"].get<std::string>().c_str(),
                row["family"].get<std::string>().c_str(), row["parameters"].get<double>() / 1e6,
                row["image_size"].get<int>(), row["forward_flops_per_image"].get<double>() / 1e9,
                row["native_image_size"].get<int>(), row["exercises"].get<std::string>().c_str());
  }
  std::printf("FLOPs: one forward pass of one image, a multiply-add counted as 2; training is about 3x that.\n");
  return 0;
}

}  // namespace

void add_models_command(CLI::App& app, int* exit_code) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* cmd = app.add_subcommand(
      "models", "List the models --model accepts: parameters, forward FLOPs per image, and native image size.");
  cmd->add_option("--img-size", options->image_size, "Count the FLOPs at this size (default: each model's native size)")
      ->check(whole_number_in(8, 4096, "pixels"));
  cmd->add_option("--classes", options->classes, "Classes of the head the counts include")
      ->capture_default_str()
      ->check(whole_number_in(2, 1000000, "classes"));
  cmd->add_flag("--json", options->json, "Print the list as JSON");
  cmd->callback([options, exit_code] { *exit_code = run_models(*options); });
}

}  // namespace trainbench::cli
